import { envOrSkip } from '../../test/support/vectors.ts';
import { postgresEngine } from './test-databases.ts';
import { storeSuite } from './store-suite.ts';

// A PostgreSQL server URL (any database on it); each test creates and drops its own database.
const pgUrl = envOrSkip('SIPCLUSTER_TEST_PG_URL');
storeSuite('PostgreSQL', () => postgresEngine(pgUrl.value ?? ''), pgUrl.skip);
