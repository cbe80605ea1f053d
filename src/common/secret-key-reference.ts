import { checkDnsSubdomain, checkNonEmpty } from './checks';
import { ConfigurationError } from './errors';

/**
 * One key of a Kubernetes Secret that the user creates. Only the reference is rendered;
 * the value never enters the manifests.
 */
export class SecretKeyReference {
  /**
   * @param secretName the Secret's name (it must exist in the workload's namespace)
   * @param key the key inside the Secret
   */
  public static fromSecret(secretName: string, key: string): SecretKeyReference {
    return new SecretKeyReference(secretName, key);
  }

  public readonly secretName: string;
  public readonly key: string;

  private constructor(secretName: string, key: string) {
    this.secretName = secretName;
    this.key = key;
  }

  /** Throws unless both the name and the key are set; `field` names the prop in the error. */
  public validate(field: string): void {
    checkDnsSubdomain(`${field}.secretName`, this.secretName);
    checkNonEmpty(`${field}.key`, this.key,
      `Name the key inside Secret "${this.secretName}" that holds the value, e.g. SecretKeyReference.fromSecret("${this.secretName}", "token").`);
    if (!/^[-._a-zA-Z0-9]+$/.test(this.key)) {
      throw new ConfigurationError(`${field}.key`, this.key, "A Secret key may hold only letters, digits, '-', '_' and '.'.");
    }
  }
}
