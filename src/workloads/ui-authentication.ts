import { checkDnsSubdomain } from '../common/checks';
import { ConfigurationError } from '../common/errors';

/** Who may use the UI. */
export enum UiAuthenticationKind {
  /** No login: anyone who reaches the UI uses it. */
  DISABLED = 'disabled',
  /** h2oGPT's own login, against users and passwords in a Secret. */
  PASSWORD_FILE = 'password-file',
}

/** Where the Secret holding the password file is mounted (read-only, in the init container that copies it). */
export const AUTH_MOUNT_PATH = '/etc/h2ogpt/auth';
/** The default key of the Secret that holds the file. */
export const DEFAULT_AUTH_KEY = 'auth.json';

/**
 * Who may use the h2oGPT UI. `UiAuthentication.fromSecret(...)` turns on h2oGPT's own login
 * (gen.py `auth`, `auth_access`, `auth_freeze`, `guest_name`): users and passwords come from an
 * `auth.json` in a Secret, in h2oGPT's format `{"<user>": {"password": "<password>", "userid": "<id>"}}`,
 * and no one else gets in. `UiAuthentication.disabled()` says, on purpose, that the UI needs no login.
 */
export class UiAuthentication {
  /**
   * h2oGPT's login against the `auth.json` under `key` of Secret `secretName`. Access is closed
   * (no sign-up of new users) and there is no guest. h2oGPT writes the file on every login, so it
   * gets a copy in a writable emptyDir, made afresh from the Secret at each start: the Secret stays
   * the one source of users.
   */
  public static fromSecret(secretName: string, key?: string): UiAuthentication {
    checkDnsSubdomain('authentication.secretName', secretName);
    const k = key ?? DEFAULT_AUTH_KEY;
    if (typeof k !== 'string' || !/^[-._a-zA-Z0-9]+$/.test(k)) {
      throw new ConfigurationError('authentication.key', k, 'Use a Secret key: letters, digits, \'-\', \'_\' and \'.\' (for example "auth.json").');
    }
    return new UiAuthentication(UiAuthenticationKind.PASSWORD_FILE, secretName, k);
  }

  /** No login. Exposing the UI this way is a choice the stack records as a warning. */
  public static disabled(): UiAuthentication {
    return new UiAuthentication(UiAuthenticationKind.DISABLED);
  }

  /** Which kind. */
  public readonly kind: UiAuthenticationKind;
  /** The Secret holding the password file (password-file). */
  public readonly secretName?: string;
  /** Its key (password-file). */
  public readonly key?: string;

  private constructor(kind: UiAuthenticationKind, secretName?: string, key?: string) {
    this.kind = kind;
    this.secretName = secretName;
    this.key = key;
  }
}
