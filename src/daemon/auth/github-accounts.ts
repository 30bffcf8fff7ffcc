import { randomUUID } from 'node:crypto';
import type { UserRow, UsersRepo } from '../db/users-repo.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors.js';
import type { GithubUser } from './github.js';
import type { SecretBox } from './secret-box.js';

/** GitHub accounts of users: sign-in (creating allowed users), linking, and the sealed access token. */
export class GithubAccounts {
  constructor(
    private readonly users: UsersRepo,
    private readonly box: SecretBox,
  ) {}

  /**
   * The Disco user behind a GitHub account: the linked one, or (when the operator allows this login) a new
   * user named after it. `linkTo` links the account to a signed-in user instead. The token is sealed.
   */
  signInWithGithub(gh: GithubUser, token: string, allowed: readonly string[], linkTo?: string): UserRow {
    const linked = this.users.getByGithubId(gh.id);
    let user: UserRow | undefined;
    if (linkTo) {
      if (linked && linked.id !== linkTo)
        throw new ConflictError(`GitHub account '${gh.login}' is linked to another user`);
      user = this.users.get(linkTo);
    } else if (linked) {
      user = linked;
    } else if (allowed.includes('*') || allowed.some((a) => a.toLowerCase() === gh.login.toLowerCase())) {
      const name = this.users.getByName(gh.login) ? `${gh.login}-github` : gh.login;
      if (this.users.getByName(name)) throw new ConflictError(`a user named '${name}' already exists`);
      user = this.users.insert({
        id: `usr_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
        name,
        isAdmin: false,
        email: gh.email,
        githubId: gh.id,
        githubLogin: gh.login,
      });
    } else {
      throw new ForbiddenError(
        `GitHub account '${gh.login}' may not sign in here; an admin can allow it with DISCO_GITHUB_ALLOWED_USERS`,
      );
    }
    if (!user) throw new NotFoundError(`user '${linkTo}'`);
    this.users.setGithub(user.id, gh.id, gh.login, this.box.seal(token, user.id));
    return this.users.get(user.id) as UserRow;
  }

  /** The user's GitHub token, for git over https to GitHub; undefined when none is linked. */
  githubToken(userId: string): string | undefined {
    const sealed = this.users.githubToken(userId);
    return sealed ? this.box.open(sealed, userId) : undefined;
  }
}
