import { ANNOTATIONS } from '../common/labels';

/** How an init container uses the network, as far as the analyzer can tell. */
export interface NetworkUsage {
  /** It opens connections. */
  readonly usesNetwork: boolean;
  /** It retries until its upstream answers (a wait loop), rather than trying once. */
  readonly waits: boolean;
  /** The port it calls, when known. */
  readonly port?: number;
  /** The host it calls, when known. */
  readonly host?: string;
  /** Guessed from its command, args and env, rather than stated by the manifest's author. */
  readonly inferred: boolean;
  /** What gave it away, for the reason text. */
  readonly evidence?: string;
}

// Clients that open connections: HTTP, raw TCP, DNS, databases and queues, migration tools, and
// cloud and cluster CLIs (init containers often run migrations or fetch from object storage).
const NETWORK_TOOLS = new RegExp(`(^|[\\s/;|&(\`'"])(${[
  'wget', 'curl', 'nc', 'ncat', 'netcat', 'telnet', 'nslookup', 'dig', 'grpc_health_probe', 'grpcurl',
  'psql', 'pg_isready', 'pg_dump', 'pg_restore', 'mysql', 'mysqladmin', 'mysqldump', 'mariadb', 'redis-cli',
  'mongosh', 'mongo', 'mongodump', 'mongorestore', 'cqlsh', 'sqlcmd', 'clickhouse-client', 'etcdctl', 'consul', 'vault',
  'flyway', 'liquibase', 'migrate', 'atlas', 'alembic', 'dbmate', 'goose', 'sqitch',
  'kubectl', 'helm', 'aws', 'gsutil', 'gcloud', 'az', 'rclone', 's3cmd', 'git', 'kafka-topics.sh', 'kcat', 'nats',
].map((t) => t.replace(/[.]/g, '\\.')).join('|')})(\\s|$|['";|&)])`);
const PYTHON_NETWORK = /\b(requests|urllib|http\.client|httpx|aiohttp|socket)\b/;
const WAIT_LOOP = /\b(until|while)\b[\s\S]*\bdo\b|\bfor\b[\s\S]*\bdo\b|\bsleep\b|--retry|\bretry\b|\bwait-for\b|\bwait_for\b/;
// Network URLs, with their default ports; `jdbc:` prefixes a database URL.
const SCHEME_PORTS: Record<string, number> = {
  'http': 80, 'https': 443, 'ws': 80, 'wss': 443, 'grpc': 443, 'ftp': 21, 'sftp': 22, 'ssh': 22,
  'postgres': 5432, 'postgresql': 5432, 'mysql': 3306, 'mariadb': 3306, 'sqlserver': 1433, 'redis': 6379, 'rediss': 6379,
  'mongodb': 27017, 'mongodb+srv': 27017, 'amqp': 5672, 'amqps': 5671, 'kafka': 9092, 'nats': 4222, 'tcp': 0,
};
const URL = new RegExp(`(?:\\bjdbc:)?\\b(${Object.keys(SCHEME_PORTS).map((k) => k.replace(/[+]/g, '\\+')).join('|')}):\\/\\/(?:[^@\\s/'"]*@)?(\\[[0-9a-fA-F:]+\\]|[A-Za-z0-9._-]+)(?::(\\d+))?`);
const NC_TARGET = /\b(?:nc|ncat|netcat|telnet)\b(?:\s+-[A-Za-z]+(?:\s+\d+)?)*\s+([A-Za-z0-9._-]+)\s+(\d+)/;
const DEV_TCP = /\/dev\/tcp\/([A-Za-z0-9._-]+)\/(\d+)/;
const DEFAULT_PORTS: Array<[RegExp, number]> = [
  [/\b(pg_isready|psql|pg_dump|pg_restore)\b/, 5432], [/\b(mysqladmin|mysql|mysqldump|mariadb)\b/, 3306], [/\bredis-cli\b/, 6379],
  [/\b(mongosh|mongo|mongodump|mongorestore)\b/, 27017],
];

/** The init containers our own constructs declare as networked, or undefined for foreign pods. */
export function declaredNetworkContainers(annotations: Record<string, string> | undefined): Set<string> | undefined {
  const declared = annotations?.[ANNOTATIONS.networkInitContainers];
  if (declared === undefined) return undefined;
  return new Set(declared.split(',').map((s) => s.trim()).filter((s) => s.length > 0));
}

/**
 * How one init container uses the network. Pods from this library say exactly which init
 * containers call out (an annotation) and where (WAIT_URL); for any other pod it is inferred from
 * command, args and env values, and marked as inferred.
 */
export function networkUsage(container: any, declared: Set<string> | undefined): NetworkUsage {
  const env: Array<{ name: string; value?: string }> = container.env ?? [];
  const envText = env.map((e) => e.value ?? '').join(' ');
  const commandText = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
  const text = `${commandText} ${envText}`;
  const target = callTarget(text);

  if (declared) {
    const usesNetwork = declared.has(container.name);
    const waitUrl = env.find((e) => e.name === 'WAIT_URL')?.value;
    const declaredTarget = waitUrl ? callTarget(waitUrl) : target;
    return {
      usesNetwork,
      waits: usesNetwork, // our waiter always retries until its deadline
      ...(usesNetwork ? declaredTarget : {}),
      inferred: false,
      evidence: usesNetwork ? `declared by ${ANNOTATIONS.networkInitContainers}` : undefined,
    };
  }

  const tool = NETWORK_TOOLS.exec(commandText)?.[2];
  const python = /\bpython[0-9.]*\b/.test(commandText) && PYTHON_NETWORK.test(commandText) ? 'python networking' : undefined;
  // The URL without its user-info: the evidence is printed, and must not carry a password.
  const url = URL.exec(text)?.[0].replace(/\/\/[^@\s/'"]*@/, '//');
  const devTcp = DEV_TCP.test(commandText) ? '/dev/tcp' : undefined;
  const evidence = tool ?? python ?? devTcp ?? url;
  if (!evidence) return { usesNetwork: false, waits: false, inferred: true };
  return { usesNetwork: true, waits: WAIT_LOOP.test(commandText), ...target, inferred: true, evidence };
}

function callTarget(text: string): { host?: string; port?: number } {
  const url = URL.exec(text);
  if (url) {
    const port = url[3] ? Number(url[3]) : SCHEME_PORTS[url[1]];
    return { host: url[2].replace(/^\[|\]$/g, ''), ...(port ? { port } : {}) };
  }
  const nc = NC_TARGET.exec(text) ?? DEV_TCP.exec(text);
  if (nc) return { host: nc[1], port: Number(nc[2]) };
  for (const [pattern, port] of DEFAULT_PORTS) {
    if (pattern.test(text)) {
      const explicit = /\s-(?:p|-port)[\s=](\d+)/.exec(text);
      const host = /\s-(?:h|-host)[\s=]([A-Za-z0-9._-]+)/.exec(text)?.[1];
      return { host, port: explicit ? Number(explicit[1]) : port };
    }
  }
  return {};
}
