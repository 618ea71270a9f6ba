// Expected failures carry a language key; the controller boundary translates them for the user.

/**
 * A failure the user can act on: `key` names a language string, `args` fill its `%s` placeholders (a Date is shown in
 * the language's date format).
 */
export class UserError extends Error {
  constructor(
    readonly key: string,
    readonly args: ReadonlyArray<string | number | Date> = [],
  ) {
    super(key);
    this.name = 'UserError';
  }
}
