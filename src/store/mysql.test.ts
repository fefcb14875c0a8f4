import { envOrSkip } from '../../test/support/vectors.ts';
import { mysqlEngine } from './test-databases.ts';
import { storeSuite } from './store-suite.ts';

// A MariaDB/MySQL server URL (any database on it); each test creates and drops its own database.
const myUrl = envOrSkip('SIPCLUSTER_TEST_MYSQL_URL');
storeSuite('MariaDB', () => mysqlEngine(myUrl.value ?? ''), myUrl.skip);
