import { waiterSuite } from './support/waiter-suite';

// The waiter as the real process it is, in the form "in-app: bash + GNU wget..." (test/support/waiter-suite.ts).
waiterSuite('in-app: bash + GNU wget');
