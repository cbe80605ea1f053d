import { waiterSuite } from './support/waiter-suite';

// The waiter as the real process it is, in the form "init container: busybox..." (test/support/waiter-suite.ts);
// its fault cases run from test/waiter-busybox-faults.test.ts, beside these.
waiterSuite('init container: busybox', ['interface', 'replies', 'redirects', 'backoff schedule']);
