import { sqliteEngine } from './test-databases.ts';
import { storeSuite } from './store-suite.ts';

// SQLite needs no server: this run of the shared suite never skips.
storeSuite('SQLite', sqliteEngine, false);
