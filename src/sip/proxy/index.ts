export * from './sip-source.ts';
export * from './via-routing.ts';
export * from './sip-core.ts';
export { buildResponseFromPartial } from './partial-response.ts';
