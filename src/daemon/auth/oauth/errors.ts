import { DiscoError } from '../../errors.js';

/** An OAuth protocol error (RFC 6749 §5.2 / RFC 7591 §3.2.2): `{ error, error_description }`. */
export class OAuthRequestError extends DiscoError {
  readonly httpStatus: number;

  constructor(
    readonly oauthCode: string,
    description: string,
    status = 400,
  ) {
    super(status === 401 ? 'unauthorized' : 'validation_failed', description);
    this.httpStatus = status;
  }

  toOAuth() {
    return { error: this.oauthCode, error_description: this.message };
  }
}
