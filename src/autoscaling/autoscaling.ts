import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkInteger } from '../common/checks';
import { ConfigurationError } from '../common/errors';
import { vllmSeriesSelector } from '../observability/alert-rules';
import { MonitoredVllm } from '../observability/monitored-stack';
import type { ScaleTargetReference } from '../workloads/deployed-workload';

/**
 * Autoscaling of the stack, on the signals that matter for each: vLLM on its queue (a KEDA
 * ScaledObject on Prometheus's `vllm:num_requests_waiting`), h2oGPT on CPU (a HorizontalPodAutoscaler).
 */
export interface AutoscalingOptions {
  /**
   * Most vLLM replicas. Turns on vLLM's ScaledObject, which needs the stack's `monitoring`. With
   * additional models, every vLLM server gets its own ScaledObject, on its own queue, with these
   * bounds.
   * @default vLLM is not autoscaled
   */
  readonly vllmMaxReplicas?: number;
  /**
   * Fewest vLLM replicas.
   * @default 1
   */
  readonly vllmMinReplicas?: number;
  /**
   * GPUs the cluster has for the stack's models: vllmMaxReplicas x the GPUs of one replica of
   * every vLLM server must fit in them.
   * @default no limit beyond vllmMaxReplicas
   */
  readonly availableGpus?: number;
  /**
   * Waiting requests per vLLM replica that the scaler aims for.
   * @default 5
   */
  readonly waitingRequestsPerReplica?: number;
  /**
   * Prometheus's HTTP address, which KEDA queries.
   * @default "http://prometheus-operated.<monitoring.prometheusNamespace>.svc:9090" (the Service prometheus-operator creates)
   */
  readonly prometheusAddress?: string;
  /**
   * Most h2oGPT replicas. Turns on h2oGPT's HorizontalPodAutoscaler; more than one needs sticky
   * sessions, which the stack emits for the mesh (and Linkerd cannot keep).
   * @default h2oGPT is not autoscaled
   */
  readonly h2ogptMaxReplicas?: number;
  /**
   * Fewest h2oGPT replicas.
   * @default 1
   */
  readonly h2ogptMinReplicas?: number;
  /**
   * Average CPU use, in percent of the CPU request, that h2oGPT's autoscaler aims for.
   * @default 70
   */
  readonly h2ogptCpuUtilizationPercent?: number;
}

/** The options, checked and with defaults; each part only when turned on. Internal. */
export interface ResolvedAutoscaling {
  readonly vllm?: { readonly min: number; readonly max: number; readonly waitingPerReplica: number; readonly prometheusAddress?: string };
  readonly h2ogpt?: { readonly min: number; readonly max: number; readonly cpuPercent: number };
}

/** The fewest replicas: a whole number from 1, and at most the most. */
function checkMinReplicas(field: string, min: number, maxField: string, max: number): number {
  checkInteger(field, min, 1, 1000, 'replicas');
  if (min > max) {
    throw new ConfigurationError(field, min, `It is above ${maxField} (${max}): the fewest replicas cannot exceed the most. Lower ${field} to at most ${max}, or raise ${maxField}.`);
  }
  return min;
}

/**
 * Checks the options against the GPUs of the vLLM servers, one entry per server: each scales up
 * to vllmMaxReplicas on its own, so together they may hold max x the sum of their GPUs.
 */
export function resolveAutoscaling(options: AutoscalingOptions, gpusPerServer: readonly number[]): ResolvedAutoscaling {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError('autoscaling', options, 'Give the autoscaling options as a mapping, e.g. { vllmMaxReplicas: 4 }.');
  }
  let vllm: ResolvedAutoscaling['vllm'];
  if (options.vllmMaxReplicas !== undefined) {
    const max = checkInteger('autoscaling.vllmMaxReplicas', options.vllmMaxReplicas, 1, 1000, 'replicas');
    const min = checkMinReplicas('autoscaling.vllmMinReplicas', options.vllmMinReplicas ?? 1, 'autoscaling.vllmMaxReplicas', max);
    if (options.availableGpus !== undefined) {
      const gpus = checkInteger('autoscaling.availableGpus', options.availableGpus, 1, 100_000, 'GPUs');
      const gpusPerReplica = gpusPerServer.reduce((sum, g) => sum + g, 0);
      if (max * gpusPerReplica > gpus) {
        const each = gpusPerServer.length === 1 ? `${gpusPerReplica} GPU(s) each` : `${gpusPerReplica} GPU(s) across the ${gpusPerServer.length} vLLM servers (${gpusPerServer.join(' + ')})`;
        const fits = Math.floor(gpus / gpusPerReplica);
        throw new ConfigurationError('autoscaling.vllmMaxReplicas', max,
          `${max} replicas x ${each} need ${max * gpusPerReplica} GPUs, more than availableGpus (${gpus}): `
          + (fits > 0 ? `use at most ${fits}, or raise availableGpus if the cluster has more.` : `not even one replica fits; raise availableGpus if the cluster has ${gpusPerReplica} or more, or use fewer GPUs.`));
      }
    }
    const address = options.prometheusAddress;
    if (address !== undefined && !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(address)) {
      throw new ConfigurationError('autoscaling.prometheusAddress', address, 'Use Prometheus\'s HTTP address, e.g. "http://prometheus-operated.monitoring.svc:9090".');
    }
    vllm = {
      min, max, prometheusAddress: address,
      waitingPerReplica: checkInteger('autoscaling.waitingRequestsPerReplica', options.waitingRequestsPerReplica ?? 5, 1, 100_000, 'requests'),
    };
  } else {
    for (const field of ['vllmMinReplicas', 'availableGpus', 'waitingRequestsPerReplica', 'prometheusAddress'] as const) {
      if (options[field] !== undefined) {
        throw new ConfigurationError(`autoscaling.${field}`, options[field], 'It applies to vLLM\'s autoscaler: set vllmMaxReplicas too, or leave this unset.');
      }
    }
  }
  let h2ogpt: ResolvedAutoscaling['h2ogpt'];
  if (options.h2ogptMaxReplicas !== undefined) {
    const max = checkInteger('autoscaling.h2ogptMaxReplicas', options.h2ogptMaxReplicas, 1, 1000, 'replicas');
    h2ogpt = {
      max,
      min: checkMinReplicas('autoscaling.h2ogptMinReplicas', options.h2ogptMinReplicas ?? 1, 'autoscaling.h2ogptMaxReplicas', max),
      cpuPercent: checkInteger('autoscaling.h2ogptCpuUtilizationPercent', options.h2ogptCpuUtilizationPercent ?? 70, 1, 1000, 'percent'),
    };
  } else {
    for (const field of ['h2ogptMinReplicas', 'h2ogptCpuUtilizationPercent'] as const) {
      if (options[field] !== undefined) {
        throw new ConfigurationError(`autoscaling.${field}`, options[field], 'It applies to h2oGPT\'s autoscaler: set h2ogptMaxReplicas too, or leave this unset.');
      }
    }
  }
  return { vllm, h2ogpt };
}

/** A scaled workload (`VllmServer`, `H2oGpt`): its Deployment or LeaderWorkerSet leaves `spec.replicas` to its autoscaler. Internal. */
export interface ScaledDeployment {
  markHasAutoscaler(): void;
  /** What the autoscaler scales, through its scale subresource. */
  readonly scaleTarget: ScaleTargetReference;
  readonly name: string;
  readonly namespace?: string;
  readonly labels: { [key: string]: string };
}

/**
 * vLLM's KEDA ScaledObject. A new replica takes the model's load time to serve, and meanwhile the
 * queue stays long: so it adds one replica per load time at most, and scales down only after the
 * queue has been short for that long, so a scale-up is never undone before its pod is ready.
 */
export function vllmScaledObject(scope: Construct, id: string, target: ScaledDeployment, server: MonitoredVllm,
  scaling: NonNullable<ResolvedAutoscaling['vllm']>, prometheusNamespace: string): ApiObject {
  target.markHasAutoscaler();
  // The HPA API caps a policy's period at 1800 s.
  const load = Math.min(1800, Math.max(60, server.startupBudgetSeconds));
  return new ApiObject(scope, id, {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: target.name, namespace: target.namespace, labels: target.labels },
    spec: {
      scaleTargetRef: { ...target.scaleTarget },
      minReplicaCount: scaling.min,
      maxReplicaCount: scaling.max,
      pollingInterval: 15,
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: load }] },
            scaleDown: { stabilizationWindowSeconds: load, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
          },
        },
      },
      triggers: [{
        type: 'prometheus',
        metadata: {
          serverAddress: scaling.prometheusAddress ?? `http://prometheus-operated.${prometheusNamespace}.svc:9090`,
          query: `sum(vllm:num_requests_waiting${vllmSeriesSelector(target.namespace, [server])})`,
          threshold: String(scaling.waitingPerReplica),
        },
      }],
    },
  });
}

/** h2oGPT's HorizontalPodAutoscaler on CPU. */
export function h2ogptAutoscaler(scope: Construct, target: ScaledDeployment, scaling: NonNullable<ResolvedAutoscaling['h2ogpt']>): ApiObject {
  target.markHasAutoscaler();
  return new k8s.KubeHorizontalPodAutoscalerV2(scope, 'h2ogpt-autoscaler', {
    metadata: { name: target.name, namespace: target.namespace, labels: target.labels },
    spec: {
      scaleTargetRef: { ...target.scaleTarget },
      minReplicas: scaling.min,
      maxReplicas: scaling.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: scaling.cpuPercent } } }],
      // Gradio sessions live in one process: scale down slowly, so fewer sessions are cut.
      behavior: { scaleDown: { stabilizationWindowSeconds: 600, policies: [{ type: 'Pods', value: 1, periodSeconds: 300 }] } },
    },
  });
}
