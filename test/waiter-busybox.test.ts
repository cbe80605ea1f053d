import { waiterSuite } from './support/waiter-suite';

// The waiter as the real process it is, in the form "init container: busybox..." (test/support/waiter-suite.ts).
waiterSuite('init container: busybox');
