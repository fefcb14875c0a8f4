export * from './timer-policy.ts';
export * from './transaction-user.ts';
export * from './transaction-keys.ts';
export * from './transaction-table.ts';
export * from './client-invite-transaction.ts';
export * from './client-non-invite-transaction.ts';
export * from './server-invite-transaction.ts';
export * from './server-non-invite-transaction.ts';
