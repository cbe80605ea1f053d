// JSON Schemas for the Linkerd policy kinds the stack emits. No registry package carries Linkerd's
// CRD schemas (@kubernetes-models/linkerd is not published), so these are written here from
// Linkerd's reference docs (linkerd.io/2.16/reference/authorization-policy, .../httproute): the
// fields and enums the CRDs define, and nothing else. Unlike kubernetes-models they reject unknown
// fields, so a misspelt field fails too.

const labelSelector = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string' },
          operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

const metadata = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 253 },
    namespace: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

const policyRef = (kinds: string[]) => ({
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'name'],
  properties: {
    group: { type: 'string' },
    kind: { enum: kinds },
    name: { type: 'string', minLength: 1 },
    namespace: { type: 'string' },
  },
});

const object = (apiVersion: string, kind: string, spec: object) => ({
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: { apiVersion: { const: apiVersion }, kind: { const: kind }, metadata, spec },
});

const httpPathMatch = {
  type: 'object',
  additionalProperties: false,
  required: ['value'],
  properties: { type: { enum: ['Exact', 'PathPrefix', 'RegularExpression'] }, value: { type: 'string', pattern: '^/' } },
};

/** Schemas by "apiVersion kind". */
export const LINKERD_SCHEMAS: Record<string, object> = {
  'policy.linkerd.io/v1beta3 Server': object('policy.linkerd.io/v1beta3', 'Server', {
    type: 'object',
    additionalProperties: false,
    required: ['port'],
    oneOf: [{ required: ['podSelector'] }, { required: ['externalWorkloadSelector'] }],
    properties: {
      podSelector: labelSelector,
      externalWorkloadSelector: labelSelector,
      port: { oneOf: [{ type: 'integer', minimum: 1, maximum: 65535 }, { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 15 }] },
      proxyProtocol: { enum: ['unknown', 'HTTP/1', 'HTTP/2', 'gRPC', 'opaque', 'TLS'] },
      accessPolicy: { enum: ['all-unauthenticated', 'all-authenticated', 'cluster-authenticated', 'cluster-unauthenticated', 'deny', 'audit'] },
    },
  }),
  'policy.linkerd.io/v1alpha1 MeshTLSAuthentication': object('policy.linkerd.io/v1alpha1', 'MeshTLSAuthentication', {
    type: 'object',
    additionalProperties: false,
    oneOf: [{ required: ['identities'] }, { required: ['identityRefs'] }],
    properties: {
      identities: { type: 'array', minItems: 1, items: { type: 'string' } },
      identityRefs: { type: 'array', minItems: 1, items: policyRef(['ServiceAccount', 'Namespace']) },
    },
  }),
  'policy.linkerd.io/v1alpha1 NetworkAuthentication': object('policy.linkerd.io/v1alpha1', 'NetworkAuthentication', {
    type: 'object',
    additionalProperties: false,
    required: ['networks'],
    properties: {
      networks: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['cidr'],
          properties: { cidr: { type: 'string' }, except: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
  }),
  'policy.linkerd.io/v1alpha1 AuthorizationPolicy': object('policy.linkerd.io/v1alpha1', 'AuthorizationPolicy', {
    type: 'object',
    additionalProperties: false,
    required: ['targetRef', 'requiredAuthenticationRefs'],
    properties: {
      targetRef: policyRef(['Server', 'HTTPRoute', 'GRPCRoute', 'Namespace']),
      requiredAuthenticationRefs: {
        type: 'array',
        items: policyRef(['MeshTLSAuthentication', 'NetworkAuthentication', 'ServiceAccount']),
      },
    },
  }),
  'policy.linkerd.io/v1beta3 HTTPRoute': object('policy.linkerd.io/v1beta3', 'HTTPRoute', {
    type: 'object',
    additionalProperties: false,
    required: ['parentRefs'],
    properties: {
      parentRefs: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            group: { type: 'string' },
            kind: { type: 'string' },
            name: { type: 'string' },
            namespace: { type: 'string' },
            port: { type: 'integer' },
            sectionName: { type: 'string' },
          },
        },
      },
      hostnames: { type: 'array', items: { type: 'string' } },
      rules: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          properties: {
            matches: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                properties: {
                  path: httpPathMatch,
                  method: { enum: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] },
                  headers: { type: 'array' },
                  queryParams: { type: 'array' },
                },
              },
            },
            filters: { type: 'array' },
            backendRefs: { type: 'array' },
            timeouts: { type: 'object' },
          },
        },
      },
    },
  }),
};
