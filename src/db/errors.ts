/** No database can be started or reached; the message says what to install or set. */
export class DatabaseUnavailableError extends Error {}
