/**
 * What the analyzer knows about programs, URL schemes and images, as data: one row per program
 * family, each with the source it rests on. docs/check-model.md explains how rows are used; add a
 * row here, with its source, to teach `check` a new program.
 */

/** How a program exchanges bytes with what it calls. */
export enum Exchange {
  /** A protocol exchange (HTTP, SQL, ...): a STRICT-mTLS server rejects it in plaintext. */
  DATA = 'data',
  /** A TCP handshake and nothing else (`nc -z`): it completes against any listening proxy. */
  CONNECT = 'connect',
}

/** Where a program's calls go when its arguments name no host. */
export enum DefaultDestination {
  /** The Kubernetes API server (in-cluster config: KUBERNETES_SERVICE_HOST). */
  KUBERNETES_API = 'kubernetes-api',
  /** A host on the internet (a package index, a model hub, a cloud API). */
  EXTERNAL = 'external',
  /** A service the program is configured for, unnamed in the spec (a database from a Secret). */
  CONFIGURED = 'configured',
  /** The program's own machine (a client whose default is a local socket). */
  LOCAL = 'local',
}

/** One network program family. */
export interface NetworkTool {
  readonly names: readonly string[];
  readonly exchange: Exchange;
  /** Where it goes when nothing in its arguments or env says. */
  readonly destination: DefaultDestination;
  /** The host it names when `destination` is EXTERNAL, for the report. */
  readonly defaultHost?: string;
  readonly defaultPort?: number;
  /** Flags that take the host or the port, e.g. `-h` and `-p`. */
  readonly hostFlags?: readonly string[];
  readonly portFlags?: readonly string[];
  /** Environment variables it reads its host or port from. */
  readonly hostEnv?: readonly string[];
  readonly portEnv?: readonly string[];
  /** How its positional arguments name the target. */
  readonly positional?: 'url' | 'host-port' | 'host:port';
  /** Sub-commands (first non-flag argument, or the first two joined by a space) that stay local. */
  readonly localSubcommands?: readonly string[];
  /** Sub-commands that are the only networked ones; any other stays local. */
  readonly networkSubcommands?: readonly string[];
  /** Flags that make a local sub-command reach the network after all (`helm template --validate`). */
  readonly networkFlags?: readonly string[];
  /** Flags that make it local (e.g. `--dry-run=client`). */
  readonly localFlags?: readonly string[];
  /** It retries by itself until its peer answers (or its own timeout). */
  readonly waits?: boolean;
  /** Flags that make it a bare connect (e.g. `nc -z`); flags that make it UDP. */
  readonly connectFlags?: readonly string[];
  readonly udpFlags?: readonly string[];
  readonly source: string;
}

/** Programs that open network connections. */
export const NETWORK_TOOLS: readonly NetworkTool[] = [
  // HTTP clients.
  { names: ['curl'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, positional: 'url', source: 'curl(1), https://curl.se/docs/manpage.html' },
  { names: ['wget'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, positional: 'url', source: 'wget(1) GNU Wget 1.21 manual; BusyBox 1.36 wget applet' },
  { names: ['http', 'https', 'xh'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, positional: 'url', source: 'HTTPie CLI docs, https://httpie.io/docs/cli' },
  // Raw TCP.
  {
    names: ['nc', 'ncat', 'netcat'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, positional: 'host-port',
    connectFlags: ['-z'], udpFlags: ['-u', '--udp'], source: 'nc(1) OpenBSD netcat; BusyBox 1.36 nc applet; ncat(1) Nmap 7.9',
  },
  { names: ['telnet'], exchange: Exchange.CONNECT, destination: DefaultDestination.CONFIGURED, positional: 'host-port', source: 'telnet(1) inetutils 2.4; BusyBox telnet applet' },
  // Waiting tools.
  { names: ['wait-for-it', 'wait-for-it.sh'], waits: true, exchange: Exchange.CONNECT, destination: DefaultDestination.CONFIGURED, positional: 'host:port', hostFlags: ['-h', '--host'], portFlags: ['-p', '--port'], source: 'vishnubob/wait-for-it wait-for-it.sh (commit 81b1373f17855a4dc21156cfe1694c31d7d1792e): `nc -z` or /dev/tcp' },
  { names: ['dockerize'], waits: true, exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, positional: 'url', source: 'jwilder/dockerize README: -wait tcp://, http://, https://, file://, unix://' },
  { names: ['wait4x'], waits: true, exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, positional: 'url', source: 'atkrad/wait4x README: tcp, http, postgresql, mysql, redis, mongodb, rabbitmq, kafka checkers' },
  { names: ['grpc_health_probe', 'grpcurl'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, hostFlags: ['-addr'], positional: 'host:port', source: 'grpc-ecosystem/grpc-health-probe README; fullstorydev/grpcurl README' },
  // Databases and queues: clients and readiness tools.
  {
    names: ['psql', 'pg_isready', 'pg_dump', 'pg_dumpall', 'pg_restore', 'createdb', 'dropdb', 'createuser'], exchange: Exchange.DATA, destination: DefaultDestination.LOCAL,
    defaultPort: 5432, hostFlags: ['-h', '--host'], portFlags: ['-p', '--port'], hostEnv: ['PGHOST'], portEnv: ['PGPORT'], positional: 'url',
    source: 'PostgreSQL 17 docs, libpq "Connection Strings" and pg_isready(1): no host means a Unix socket',
  },
  {
    names: ['mysql', 'mysqladmin', 'mysqldump', 'mariadb', 'mariadb-admin', 'mysqlcheck'], exchange: Exchange.DATA, destination: DefaultDestination.LOCAL,
    defaultPort: 3306, hostFlags: ['-h', '--host'], portFlags: ['-P', '--port'], hostEnv: ['MYSQL_HOST'], portEnv: ['MYSQL_TCP_PORT'],
    source: 'MySQL 8.4 Reference Manual, "Connecting to the MySQL Server Using Command Options": localhost means the socket',
  },
  { names: ['redis-cli', 'valkey-cli'], exchange: Exchange.DATA, destination: DefaultDestination.LOCAL, defaultPort: 6379, hostFlags: ['-h'], portFlags: ['-p'], positional: 'url', source: 'redis.io docs, "Redis CLI": -h defaults to 127.0.0.1, -u takes a URI' },
  { names: ['mongosh', 'mongo', 'mongodump', 'mongorestore', 'mongoimport', 'mongoexport'], exchange: Exchange.DATA, destination: DefaultDestination.LOCAL, defaultPort: 27017, hostFlags: ['--host', '-h'], portFlags: ['--port'], positional: 'url', source: 'MongoDB Shell docs, "mongosh Options": defaults to localhost:27017' },
  { names: ['cqlsh'], exchange: Exchange.DATA, destination: DefaultDestination.LOCAL, defaultPort: 9042, positional: 'host-port', source: 'Apache Cassandra 4.1 docs, cqlsh: [host [port]]' },
  { names: ['sqlcmd'], exchange: Exchange.DATA, destination: DefaultDestination.LOCAL, defaultPort: 1433, hostFlags: ['-S'], source: 'Microsoft docs, sqlcmd utility: -S server' },
  { names: ['clickhouse-client', 'clickhouse'], exchange: Exchange.DATA, destination: DefaultDestination.LOCAL, defaultPort: 9000, hostFlags: ['--host', '-h'], portFlags: ['--port'], source: 'ClickHouse docs, "Command-Line Client"' },
  { names: ['etcdctl'], exchange: Exchange.DATA, destination: DefaultDestination.LOCAL, defaultPort: 2379, hostFlags: ['--endpoints'], hostEnv: ['ETCDCTL_ENDPOINTS'], source: 'etcd v3.5 docs, etcdctl: --endpoints defaults to 127.0.0.1:2379' },
  { names: ['kafka-topics', 'kafka-topics.sh', 'kafka-broker-api-versions', 'kafka-broker-api-versions.sh', 'kcat', 'kafkacat'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, defaultPort: 9092, hostFlags: ['--bootstrap-server', '-b', '--zookeeper'], source: 'Apache Kafka 3.7 docs, "Operations"; edenhill/kcat README' },
  { names: ['nats'], exchange: Exchange.DATA, destination: DefaultDestination.LOCAL, defaultPort: 4222, hostFlags: ['-s', '--server'], source: 'nats-io/natscli README: --server defaults to nats://127.0.0.1:4222' },
  { names: ['rabbitmqadmin', 'rabbitmqctl'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, hostFlags: ['-H', '--host', '-n'], source: 'RabbitMQ 3.13 docs, rabbitmqadmin and rabbitmqctl' },
  { names: ['zookeeper-shell', 'zookeeper-shell.sh', 'zkCli.sh'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, defaultPort: 2181, hostFlags: ['-server'], source: 'Apache ZooKeeper 3.9 docs, "ZooKeeper CLI": zkCli.sh -server host:port' },
  { names: ['bookkeeper'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, networkSubcommands: ['shell'], source: 'Apache BookKeeper 4.17 docs, "BookKeeper CLI": bookkeeper shell commands read the metadata store named in bookkeeper.conf (ZooKeeper)' },
  { names: ['pulsar'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, networkSubcommands: ['zookeeper-shell', 'initialize-cluster-metadata', 'initialize-transaction-coordinator-metadata'], hostFlags: ['-server', '--zookeeper', '-zk', '--metadata-store', '-md'], source: 'Apache Pulsar 4.0 docs, "Pulsar CLI tools" (bin/pulsar): zookeeper-shell and initialize-cluster-metadata reach the metadata store' },
  { names: ['pulsar-admin', 'pulsarctl'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, hostFlags: ['--admin-url'], source: 'Apache Pulsar 4.0 docs, pulsar-admin: calls the broker\'s admin REST API (webServiceUrl of client.conf)' },
  { names: ['consul', 'vault', 'nomad'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, hostFlags: ['-address', '-http-addr'], hostEnv: ['VAULT_ADDR', 'CONSUL_HTTP_ADDR'], localSubcommands: ['version', 'validate', 'fmt'], source: 'HashiCorp Vault/Consul CLI docs: VAULT_ADDR, CONSUL_HTTP_ADDR' },
  // Schema migration tools: they talk to the database their config names.
  {
    names: ['flyway', 'liquibase', 'migrate', 'goose', 'dbmate', 'atlas', 'sqitch', 'alembic', 'prisma', 'knex', 'sequelize', 'diesel', 'sqlx', 'typeorm'],
    exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, positional: 'url', localSubcommands: ['version', '--version', 'help', 'init', 'create', 'new', 'generate', 'revision'],
    source: 'each tool\'s CLI reference: Flyway, Liquibase, golang-migrate, pressly/goose, amacneil/dbmate, ariga/atlas, Sqitch, Alembic, Prisma, Knex, Sequelize, Diesel, SQLx, TypeORM',
  },
  // Application CLIs whose usual sub-commands reach their database or service.
  {
    names: ['airflow'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED,
    networkSubcommands: ['db', 'users', 'connections', 'variables', 'pools', 'roles', 'dags', 'tasks', 'celery', 'scheduler', 'webserver', 'triggerer', 'jobs', 'sync-perm', 'api-server', 'dag-processor'],
    source: 'Apache Airflow 2.10 CLI reference: `airflow db check-migrations`, `db migrate` and `users create` open the metadata database (AIRFLOW__DATABASE__SQL_ALCHEMY_CONN)',
  },
  { names: ['superset'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, networkSubcommands: ['db', 'init', 'fab', 'load-examples', 'load_examples', 'import-dashboards', 'set-database-uri'], source: 'Apache Superset 4.1 docs, "Installing from scratch": `superset db upgrade`, `superset init` use SQLALCHEMY_DATABASE_URI' },
  { names: ['mlflow'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, networkSubcommands: ['db', 'gc', 'server', 'artifacts'], positional: 'url', source: 'MLflow 2.x CLI reference: `mlflow db upgrade <url>`' },
  { names: ['ray'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, networkSubcommands: ['health-check', 'start', 'status', 'job', 'list', 'summary', 'get', 'logs', 'memory'], hostFlags: ['--address'], source: 'Ray 2.x CLI reference: `ray health-check --address`' },
  { names: ['rails', 'rake', 'bundle'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, networkSubcommands: ['db:migrate', 'db:create', 'db:setup', 'db:prepare', 'db:seed', 'db:version', 'db:abort_if_pending_migrations', 'exec', 'install'], source: 'Ruby on Rails 7.1 guides, "Active Record Migrations"; Bundler docs, `bundle install` fetches gems' },
  { names: ['php'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, networkSubcommands: ['artisan migrate', 'artisan db:seed', 'occ', 'bin/console'], source: 'Laravel 11 docs, "Database: Migrations"; Nextcloud occ docs' },
  { names: ['mix'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, networkSubcommands: ['ecto.migrate', 'ecto.create'], source: 'Ecto SQL docs, mix ecto.migrate' },
  { names: ['gitlab-rake', 'gitlab-ctl', 'mattermost', 'keycloak-config-cli'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, source: 'GitLab, Mattermost and keycloak-config-cli docs: each talks to its configured database or server' },
  // Cluster and cloud CLIs.
  {
    names: ['kubectl', 'oc', 'kubectl.sh'], exchange: Exchange.DATA, destination: DefaultDestination.KUBERNETES_API,
    localSubcommands: ['version --client', 'kustomize', 'completion', 'config', 'help', 'plugin', 'explain --recursive'], localFlags: ['--dry-run=client', '--client', '--local'],
    source: 'kubectl reference (Kubernetes 1.31): in a pod it uses the in-cluster config (client-go rest.InClusterConfig, KUBERNETES_SERVICE_HOST)',
  },
  { names: ['helm'], exchange: Exchange.DATA, destination: DefaultDestination.KUBERNETES_API, localSubcommands: ['template', 'lint', 'package', 'version', 'show', 'create', 'env', 'completion', 'dependency list'], networkFlags: ['--validate', '--repo'], source: 'Helm 3.16 docs and cmd/helm/template.go (ClientOnly unless --validate): template, lint and package render locally, unless --validate or a remote chart; install/upgrade/status call the API server' },
  { names: ['aws', 's3cmd', 'rclone', 'mc', 'gsutil', 'gcloud', 'az', 'azcopy', 'b2', 's5cmd'], exchange: Exchange.DATA, destination: DefaultDestination.EXTERNAL, defaultHost: 'the cloud API', defaultPort: 443, hostFlags: ['--endpoint-url', '--endpoint'], localSubcommands: ['--version', 'version', 'help', 'config', 'configure'], source: 'AWS CLI v2, gsutil, gcloud, Azure CLI, rclone, MinIO mc and s5cmd docs: their default endpoints are the cloud provider\'s public HTTPS APIs' },
  // Fetching code and packages.
  { names: ['git'], exchange: Exchange.DATA, destination: DefaultDestination.EXTERNAL, networkSubcommands: ['clone', 'fetch', 'pull', 'ls-remote', 'submodule', 'push'], positional: 'url', source: 'git-clone(1), git-fetch(1), Git 2.45' },
  { names: ['pip', 'pip3', 'uv', 'poetry', 'pipx', 'conda', 'mamba', 'micromamba'], exchange: Exchange.DATA, destination: DefaultDestination.EXTERNAL, defaultHost: 'pypi.org', defaultPort: 443, networkSubcommands: ['install', 'download', 'add', 'sync', 'create', 'update', 'lock'], localFlags: ['--no-index', '--offline'], source: 'pip 24 docs, `pip install` (index https://pypi.org/simple); uv, Poetry, pipx and conda docs' },
  { names: ['npm', 'yarn', 'pnpm'], exchange: Exchange.DATA, destination: DefaultDestination.EXTERNAL, defaultHost: 'registry.npmjs.org', defaultPort: 443, networkSubcommands: ['install', 'i', 'ci', 'add', 'exec', 'dlx'], localFlags: ['--offline'], source: 'npm 10 docs, `npm install` (registry https://registry.npmjs.org/)' },
  { names: ['apt-get', 'apt', 'apk', 'yum', 'dnf', 'microdnf'], exchange: Exchange.DATA, destination: DefaultDestination.EXTERNAL, defaultHost: 'the distribution mirror', defaultPort: 80, networkSubcommands: ['update', 'install', 'add', 'upgrade'], source: 'apt-get(8) Debian 12; apk(8) Alpine 3.20; dnf(8)' },
  { names: ['huggingface-cli', 'hf'], exchange: Exchange.DATA, destination: DefaultDestination.EXTERNAL, defaultHost: 'huggingface.co', defaultPort: 443, networkSubcommands: ['download', 'upload', 'login', 'whoami', 'repo'], hostEnv: ['HF_ENDPOINT'], source: 'huggingface_hub 0.23 docs, "Command Line Interface": download fetches from HF_ENDPOINT (https://huggingface.co)' },
  { names: ['ollama'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, networkSubcommands: ['pull', 'run', 'list', 'ps', 'create', 'push'], hostEnv: ['OLLAMA_HOST'], source: 'ollama/ollama docs/faq.md: the CLI talks to OLLAMA_HOST (127.0.0.1:11434); pull fetches from registry.ollama.ai' },
  { names: ['openssl'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, networkSubcommands: ['s_client', 'ocsp'], hostFlags: ['-connect'], source: 'openssl-s_client(1), OpenSSL 3.0' },
  { names: ['ssh', 'scp', 'sftp', 'rsync'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, positional: 'url', source: 'ssh(1), OpenSSH 9; rsync(1): a host: or :: argument is remote' },
  { names: ['kubernetes-entrypoint'], waits: true, exchange: Exchange.DATA, destination: DefaultDestination.KUBERNETES_API, source: 'airshipit/kubernetes-entrypoint entrypoint/entrypoint.go and dependencies/: polls the Kubernetes API until every DEPENDENCY_* resource is ready' },
  { names: ['openstack', 'nova', 'neutron', 'glance', 'keystone-manage'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, hostEnv: ['OS_AUTH_URL'], localSubcommands: ['--version', 'help'], source: 'python-openstackclient docs: every command authenticates against OS_AUTH_URL (Keystone) and calls the service API' },
  { names: ['temporal', 'tctl', 'temporal-sql-tool', 'temporal-cassandra-tool', 'temporal-elasticsearch-tool'], exchange: Exchange.DATA, destination: DefaultDestination.CONFIGURED, hostFlags: ['--address', '--ep', '--endpoint', '--db-address'], hostEnv: ['SQL_HOST', 'CASSANDRA_HOST', 'ES_SERVER', 'TEMPORAL_ADDRESS'], source: 'temporalio/temporal tools/sql and tools/cassandra (commands open the database), and the Temporal CLI docs (--address, frontend gRPC 7233)' },
  { names: ['jenkins-plugin-cli', 'install-plugins.sh'], exchange: Exchange.DATA, destination: DefaultDestination.EXTERNAL, defaultHost: 'updates.jenkins.io', defaultPort: 443, localFlags: ['--version', '-v', '--help', '-h'], source: 'jenkinsci/plugin-installation-manager-tool README and Main.java (only --version and --help return before the update-center JSON is fetched; PluginManager.getUCJson); jenkinsci/docker install-plugins.sh, deprecated in its favour' },
  { names: ['install_packages'], exchange: Exchange.DATA, destination: DefaultDestination.EXTERNAL, defaultHost: 'the distribution mirror', defaultPort: 80, source: 'bitnami/minideb install_packages: apt-get update and install, retried' },
  { names: ['elasticsearch-plugin', 'opensearch-plugin'], exchange: Exchange.DATA, destination: DefaultDestination.EXTERNAL, defaultHost: 'artifacts.elastic.co', defaultPort: 443, networkSubcommands: ['install'], source: 'Elasticsearch 8 docs, "Plugin management": install downloads from artifacts.elastic.co unless given a file: URL' },
  { names: ['ping'], exchange: Exchange.CONNECT, destination: DefaultDestination.CONFIGURED, positional: 'host-port', source: 'ping(8) iputils: ICMP, which neither mesh redirects (their rules match TCP only)' },
];

/** Lookups of names: they use DNS over UDP, which neither mesh redirects by default (docs/mesh-facts.md §2b). */
export const DNS_TOOLS: ReadonlyArray<{ readonly names: readonly string[]; readonly source: string }> = [
  { names: ['nslookup', 'dig', 'host', 'drill', 'kdig'], source: 'nslookup(1), dig(1) BIND 9.18; BusyBox nslookup applet: UDP port 53' },
  { names: ['getent'], source: 'getent(1) glibc 2.36: `getent hosts` resolves through NSS, which asks the resolv.conf servers over UDP' },
];

/** URL schemes and their default ports (IANA Service Name and Transport Protocol Port Number Registry, and each project's docs). */
export const SCHEME_PORTS: Readonly<Record<string, number | undefined>> = {
  'http': 80, 'https': 443, 'ws': 80, 'wss': 443, 'grpc': 443, 'grpcs': 443, 'h2c': 80, 'ftp': 21, 'sftp': 22, 'ssh': 22, 'git': 9418,
  'postgres': 5432, 'postgresql': 5432, 'mysql': 3306, 'mariadb': 3306, 'sqlserver': 1433, 'mssql': 1433, 'oracle': 1521,
  'redis': 6379, 'rediss': 6379, 'valkey': 6379, 'memcached': 11211, 'mongodb': 27017, 'mongodb+srv': 27017, 'cassandra': 9042,
  'amqp': 5672, 'amqps': 5671, 'kafka': 9092, 'nats': 4222, 'mqtt': 1883, 'mqtts': 8883, 'ldap': 389, 'ldaps': 636,
  'elasticsearch': 9200, 'clickhouse': 9000, 'etcd': 2379, 'zookeeper': 2181, 'tcp': undefined, 'unix': undefined, 'file': undefined,
  // Object stores and model hubs: the provider's HTTPS API.
  's3': 443, 'gs': 443, 'gcs': 443, 'az': 443, 'abfs': 443, 'abfss': 443, 'wasbs': 443, 'hf': 443, 'oci': 443, 'docker': 443,
};

/** Schemes that name no network peer. */
export const LOCAL_SCHEMES: ReadonlySet<string> = new Set(['file', 'unix']);

/** Object-store and hub schemes: the host in the URL is a bucket or repo, the endpoint is the provider's. */
export const PROVIDER_SCHEMES: Readonly<Record<string, string>> = {
  s3: 's3.amazonaws.com', gs: 'storage.googleapis.com', gcs: 'storage.googleapis.com', az: 'blob.core.windows.net',
  abfs: 'dfs.core.windows.net', abfss: 'dfs.core.windows.net', wasbs: 'blob.core.windows.net', hf: 'huggingface.co',
};

/** Programs that run another program named by their arguments: the model looks through them. */
export const WRAPPERS: ReadonlyArray<{ readonly names: readonly string[]; readonly skip: 'flags' | 'flags-and-first' | 'assignments'; readonly source: string }> = [
  { names: ['exec', 'command', 'nohup', 'nice', 'ionice', 'stdbuf', 'time', 'builtin', 'setsid', 'tini', 'dumb-init', 'catatonit'], skip: 'flags', source: 'POSIX.1-2017 Shell & Utilities (exec, command, nohup, nice, time); tini and dumb-init READMEs' },
  { names: ['timeout'], skip: 'flags-and-first', source: 'timeout(1) GNU coreutils 9.4: timeout [OPTION] DURATION COMMAND' },
  { names: ['env'], skip: 'assignments', source: 'env(1) GNU coreutils 9.4: env [OPTION] [NAME=VALUE]... [COMMAND]' },
  { names: ['gosu', 'su-exec', 'chroot', 'runuser', 'setpriv', 'chpst', 's6-setuidgid'], skip: 'flags-and-first', source: 'tianon/gosu and ncopa/su-exec READMEs: gosu USER COMMAND' },
  { names: ['sudo', 'doas', 'xargs', 'watch', 'flock'], skip: 'flags', source: 'sudo(8), xargs(1), watch(1), flock(1)' },
];

/**
 * Package runners that run a program given as their argument, or after a sub-command: the model
 * looks through them to that program (`npx prisma migrate deploy`, `bundle exec rake db:migrate`).
 */
export const RUNNERS: ReadonlyArray<{ readonly names: readonly string[]; readonly subcommand?: string; readonly source: string }> = [
  { names: ['npx', 'pnpx', 'bunx'], source: 'npm 10 docs, npx: runs a command from a local or remote npm package' },
  { names: ['bundle'], subcommand: 'exec', source: 'Bundler docs, bundle exec: runs a command in the bundle\'s context' },
  { names: ['poetry', 'uv', 'pipenv', 'pdm', 'hatch'], subcommand: 'run', source: 'Poetry, uv, Pipenv, PDM and Hatch docs: `run` executes a command in the project\'s environment' },
  { names: ['pnpm', 'yarn'], subcommand: 'exec', source: 'pnpm and Yarn docs: `exec` runs a command of the project\'s dependencies' },
];

/** Shells: `-c SCRIPT`, a script file, or a script on stdin. */
export const SHELLS: ReadonlySet<string> = new Set(['sh', 'bash', 'ash', 'dash', 'ksh', 'mksh', 'zsh', 'busybox sh']);

/** Interpreters whose inline code (`-c`/`-e`) the model reads for network modules. */
export const INTERPRETERS: ReadonlyArray<{ readonly names: readonly string[]; readonly inline: string; readonly networkModules: RegExp; readonly source: string }> = [
  {
    names: ['python', 'python2', 'python3'], inline: '-c',
    networkModules: /\b((postgres(ql)?|mysql|mariadb|redis|mongodb)(\+\w+)?:\/\/|create_\w*engine\w*|requests|urllib|urllib3|http\.client|httpx|aiohttp|socket|psycopg2?|psycopg|pymysql|MySQLdb|redis|pymongo|kafka|pika|boto3|botocore|google\.cloud|azure\.storage|huggingface_hub|snapshot_download|hf_hub_download|sqlalchemy|create_engine|kubernetes|grpc|websocket|smtplib|ftplib)\b/,
    source: 'Python 3.12 standard library reference (socket, urllib, http.client) and each package\'s docs',
  },
  { names: ['node', 'nodejs'], inline: '-e', networkModules: /\b(http|https|net|fetch|axios|pg|mysql2?|ioredis|redis|mongodb|kafkajs)\b/, source: 'Node.js 20 API docs (http, https, net, fetch)' },
  { names: ['perl'], inline: '-e', networkModules: /\b(IO::Socket|LWP|HTTP::Tiny|Net::|DBI)\b/, source: 'perlipc(1), LWP and DBI docs' },
  { names: ['ruby'], inline: '-e', networkModules: /\b(Net::HTTP|TCPSocket|open-uri|PG|Mysql2|Redis)\b/, source: 'Ruby 3.3 stdlib docs (net/http, socket)' },
];

/** Python modules and scripts run with `-m` or by name that reach the network. */
export const NETWORK_PYTHON_MODULES: Readonly<Record<string, { readonly destination: DefaultDestination; readonly host?: string; readonly port?: number; readonly source: string }>> = {
  'pip': { destination: DefaultDestination.EXTERNAL, host: 'pypi.org', port: 443, source: 'pip 24 docs: `python -m pip install` uses https://pypi.org/simple' },
  'huggingface_hub.commands.huggingface_cli': { destination: DefaultDestination.EXTERNAL, host: 'huggingface.co', port: 443, source: 'huggingface_hub 0.23 CLI docs' },
  'manage.py': { destination: DefaultDestination.CONFIGURED, source: 'Django 5.0 docs, django-admin and manage.py: migrate, check --database, createsuperuser use DATABASES' },
  'alembic': { destination: DefaultDestination.CONFIGURED, source: 'Alembic 1.13 docs: `python -m alembic upgrade` connects to sqlalchemy.url' },
  'celery': { destination: DefaultDestination.CONFIGURED, source: 'Celery 5.4 docs: inspect and status talk to the broker' },
};

/** Programs that do not open network connections. */
export const LOCAL_PROGRAMS: { readonly names: ReadonlySet<string>; readonly source: string } = {
  names: new Set([
    // POSIX and coreutils.
    'cp', 'mv', 'rm', 'rmdir', 'mkdir', 'ln', 'chmod', 'chown', 'chgrp', 'touch', 'cat', 'echo', 'printf', 'ls', 'find', 'stat', 'du', 'df',
    'sed', 'awk', 'gawk', 'grep', 'egrep', 'fgrep', 'cut', 'tr', 'sort', 'uniq', 'wc', 'head', 'tail', 'tee', 'basename', 'dirname', 'realpath',
    'readlink', 'id', 'whoami', 'date', 'sleep', 'true', 'false', 'test', '[', 'expr', 'seq', 'yes', 'hostname', 'uname', 'pwd', 'install', 'mktemp',
    'base64', 'md5sum', 'sha1sum', 'sha256sum', 'sha512sum', 'cksum', 'od', 'xxd', 'hexdump', 'split', 'paste', 'join', 'comm', 'diff', 'cmp',
    'tar', 'gzip', 'gunzip', 'zcat', 'bzip2', 'xz', 'unxz', 'zip', 'unzip', 'cpio', 'truncate', 'dd', 'sync', 'umask', 'ulimit', 'trap',
    'kill', 'ps', 'env', 'printenv', 'getopts', 'read', 'shift', 'export', 'unset', 'local', 'declare', 'typeset', 'readonly', 'alias',
    'cd', 'set', 'wait', 'type', 'which', 'hash', 'source', '.', 'eval', 'let', 'exit', 'return', 'break', 'continue', ':', 'mount', 'umount',
    'chattr', 'setfacl', 'getfacl', 'numfmt', 'nproc', 'free', 'arch', 'tac', 'rev', 'fold', 'fmt', 'column', 'iconv', 'file', 'chroot',
    // Kernel and system settings (no connection).
    'sysctl', 'modprobe', 'iptables', 'ip6tables', 'iptables-restore', 'ip', 'ifconfig', 'setcap', 'getcap', 'update-ca-certificates',
    'useradd', 'adduser', 'usermod', 'groupadd', 'addgroup', 'passwd', 'chpasswd', 'su',
    'bzcat', 'bunzip2', 'xzcat', 'zstd', 'unzstd', 'zstdcat', 'gzcat', 'lz4',
    // Application tools that only touch local files.
    'apply-config-from-env.py', 'gen-yml-from-env.py', 'generate-zookeeper-config.sh',
    'elasticsearch-keystore', 'opensearch-keystore', 'kibana-keystore', 'logstash-keystore', 'argocd-cmp-server', 'update-alternatives',
    // Templating and data tools.
    'envsubst', 'jq', 'yq', 'gomplate', 'j2', 'confd', 'sponge', 'keytool', 'htpasswd', 'ssh-keygen', 'certtool', 'cfssl', 'xmlstarlet', 'dos2unix',
  ]),
  source: 'POSIX.1-2017 Shell & Utilities, GNU coreutils 9.4, procps, iproute2 and each tool\'s man page: none opens a connection (ip and iptables talk to the kernel over netlink); Apache Pulsar\'s docker scripts apply-config-from-env.py and gen-yml-from-env.py write config files from env',
};

/** openssl sub-commands and others that are local are covered by `networkSubcommands` in NETWORK_TOOLS. */

/** What a function of a known shell library does. */
export type LibraryFunction = 'local' | 'runs-first-argument' | 'retries-first-argument' | 'network';

/** Shell libraries that init containers source from their image, and what their functions do. */
export const SHELL_LIBRARIES: ReadonlyArray<{ readonly path: RegExp; readonly functions: Readonly<Record<string, LibraryFunction>>; readonly source: string }> = [
  {
    path: /\/opt\/bitnami\/scripts\/(libos|liblog|libfs|libvalidations|libfile|libversion|libservice|libpersistence|libwebserver)\.sh$/,
    functions: {
      retry_while: 'retries-first-argument', debug_execute: 'runs-first-argument',
      info: 'local', warn: 'local', error: 'local', debug: 'local', print_welcome_page: 'local', stderr_print: 'local', log: 'local', indent: 'local',
      am_i_root: 'local', ensure_dir_exists: 'local', owned_by: 'local', is_dir_empty: 'local', is_mounted_dir_empty: 'local', configure_permissions_ownership: 'local',
      ensure_user_exists: 'local', ensure_group_exists: 'local', user_exists: 'local', group_exists: 'local', is_boolean_yes: 'local', is_empty_value: 'local',
      replace_in_file: 'local', remove_in_file: 'local', append_file_after_last_match: 'local', generate_random_string: 'local', get_os_metadata: 'local',
      run_as_user: 'runs-first-argument', exec_as_user: 'runs-first-argument', is_file_writable: 'local', relativize: 'local', get_total_memory: 'local',
    },
    source: 'bitnami/containers, bitnami/*/prebuildfs/opt/bitnami/scripts/{libos,liblog,libfs,libvalidations}.sh as read in the code index (commit not pinned): retry_while runs its first argument, split into words, up to $2 times (default 12), sleeping $3 s (default 5) after each failure, and returns 0 on the first success, else 1; the log and file helpers touch only local files',
  },
];

/** Images whose own entrypoint reaches the network when a pod runs them without a command. */
export const NETWORK_IMAGES: ReadonlyArray<{
  readonly pattern: RegExp; readonly destination: DefaultDestination; readonly retries: boolean; readonly what: string; readonly source: string;
  /** The program its entrypoint is: arguments are that program's, judged as if the spec named it. */
  readonly program?: string;
}> = [
  { pattern: /(^|\/)k8s-sidecar(:|@|$)/, destination: DefaultDestination.KUBERNETES_API, retries: false, what: 'k8s-sidecar lists ConfigMaps and Secrets from the Kubernetes API', source: 'kiwigrid/k8s-sidecar README (METHOD=LIST lists once and exits) and src/sidecar.py; its client retries a few times (REQ_RETRY_*), then the process fails' },
  { pattern: /(^|\/)kubernetes-entrypoint(:|@|$)/, destination: DefaultDestination.KUBERNETES_API, retries: true, what: 'kubernetes-entrypoint polls the Kubernetes API until its DEPENDENCY_* resources are ready', source: 'airshipit/kubernetes-entrypoint entrypoint/entrypoint.go and dependencies/' },
  { pattern: /(^|\/)k8s-wait-for(:|@|$)/, destination: DefaultDestination.KUBERNETES_API, retries: true, what: 'k8s-wait-for polls the Kubernetes API with kubectl until a pod or job is ready', source: 'groundnuty/k8s-wait-for wait_for.sh' },
  { pattern: /(^|\/)kube-webhook-certgen(:|@|$)/, destination: DefaultDestination.KUBERNETES_API, retries: false, what: 'kube-webhook-certgen writes a Secret and patches webhooks through the Kubernetes API', source: 'jet/kube-webhook-certgen README (create, patch)' },
  { pattern: /(^|\/)(bitnami\/)?kubectl(:|@|$)/, program: 'kubectl', destination: DefaultDestination.KUBERNETES_API, retries: false, what: 'the kubectl image runs kubectl', source: 'bitnami/containers bitnami/kubectl Dockerfile: ENTRYPOINT kubectl' },
  { pattern: /(^|\/)git-sync(:|@|$)/, destination: DefaultDestination.EXTERNAL, retries: false, what: 'git-sync clones its GIT_SYNC_REPO (GITSYNC_REPO)', source: 'kubernetes/git-sync README and main.go: --one-time syncs once and exits 1 on failure, unless --max-failures allows retries (default 0)' },
  { pattern: /(^|\/)k8s-secret-sync(:|@|$)/, destination: DefaultDestination.KUBERNETES_API, retries: false, what: 'secret-sync reads and writes a Secret through the Kubernetes API', source: 'jupyterhub/zero-to-jupyterhub-k8s images/secret-sync/secret-sync.py' },
  { pattern: /(^|\/)(curlimages\/curl)(:|@|$)/, program: 'curl', destination: DefaultDestination.CONFIGURED, retries: false, what: 'the curl image runs curl', source: 'curl/curl-container Dockerfile: ENTRYPOINT curl' },
];

/** Images whose entrypoint, without a command, is a shell or exits at once: nothing to call. */
export const QUIET_IMAGES: { readonly pattern: RegExp; readonly source: string } = {
  pattern: /(^|\/)(busybox|alpine|debian|ubuntu|centos|fedora|rockylinux|almalinux|amazonlinux|bash|distroless\/static)(:|@|$)/,
  source: 'Docker Official Images busybox, alpine, debian, ubuntu, bash: CMD ["sh"] or ["bash"], which exits at once without a terminal',
};
