import { describe } from 'vitest';
import { webcontainerFixture, workbenchTestsEnabled } from '../helpers/webcontainer-fixture.js';
import { defineRuntimeCases } from './cases.js';

/** The same shared op cases on the webcontainer runtime: a headless page per container, over the stand-in. */
describe.runIf(workbenchTestsEnabled())('runtime: webcontainer', () => {
  defineRuntimeCases(webcontainerFixture);
});
