import { waiterSuite } from './support/waiter-suite';

// The busybox form's fault cases (test/support/waiter-suite.ts), in a file of their own so that
// jest runs them beside the form's other cases: they are real waits, not CPU.
waiterSuite('init container: busybox', ['faults']);
