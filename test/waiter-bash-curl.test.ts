import { waiterSuite } from './support/waiter-suite';

// The waiter as the real process it is, in the form "in-app: bash + curl..." (test/support/waiter-suite.ts).
waiterSuite('in-app: bash + curl');
