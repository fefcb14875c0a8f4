import { makeRoutes } from './registrar-routes.ts';

export default makeRoutes(false);
