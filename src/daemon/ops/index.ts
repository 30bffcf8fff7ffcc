import { authMe, passwordChange, tokenCreate, tokenList, tokenRevoke } from './account.js';
import { auditList, userCreate, userList, userRevokeTokens } from './admin.js';
import { filePack, fileUnpack } from './archive.js';
import {
  browserClose,
  browserConsole,
  browserNavigate,
  browserNetwork,
  browserScreenshot,
  browserScreenshotGet,
  browserSnapshot,
} from './browser.js';
import {
  browserClick,
  browserHover,
  browserPress,
  browserScroll,
  browserSelect,
  browserType,
  browserWaitFor,
  computerAction,
} from './browser-act.js';
import { fetchDocument, search } from './chatgpt.js';
import {
  containerCreate,
  containerDelete,
  containerGet,
  containerList,
  containerStop,
  containerTemplates,
  containerUpdate,
} from './containers.js';
import { exec } from './exec.js';
import { fileDelete, fileList, fileMove, fileRead, fileSearch, fileWrite } from './files.js';
import {
  gitBranch,
  gitCheckout,
  gitClone,
  gitCommit,
  gitDiff,
  gitInit,
  gitLog,
  gitPull,
  gitPush,
  gitStatus,
} from './git.js';
import type { Op } from './op.js';
import { portsList, previewOpen, previewShareCreate, previewShareList, previewShareRevoke } from './previews.js';
import { processInput, processKill, processList, processOutput, terminalHistory } from './processes.js';
import { ragIndex, ragSearch } from './rag.js';
import { terminalClose, terminalList } from './terminals.js';
import { workbenchOpen } from './workbench.js';

/** The registry: REST routes, the OpenAPI document, MCP tools and CLI calls all come from this list. */
export const OPS = [
  containerCreate,
  containerList,
  containerGet,
  containerDelete,
  containerUpdate,
  containerStop,
  containerTemplates,
  workbenchOpen,
  fileList,
  fileRead,
  fileWrite,
  fileDelete,
  fileMove,
  fileSearch,
  fileUnpack,
  filePack,
  exec,
  processList,
  processOutput,
  processInput,
  processKill,
  terminalHistory,
  portsList,
  previewOpen,
  previewShareCreate,
  previewShareList,
  previewShareRevoke,
  terminalList,
  terminalClose,
  browserNavigate,
  browserSnapshot,
  browserClick,
  browserType,
  browserPress,
  browserSelect,
  browserHover,
  browserScroll,
  browserWaitFor,
  browserScreenshot,
  browserScreenshotGet,
  computerAction,
  browserConsole,
  browserNetwork,
  browserClose,
  gitClone,
  gitInit,
  gitStatus,
  gitDiff,
  gitLog,
  gitCommit,
  gitPush,
  gitPull,
  gitBranch,
  gitCheckout,
  ragIndex,
  ragSearch,
  search,
  fetchDocument,
  authMe,
  tokenCreate,
  tokenList,
  tokenRevoke,
  passwordChange,
  userList,
  userCreate,
  userRevokeTokens,
  auditList,
] as const satisfies readonly Op[];

export type OpName = (typeof OPS)[number]['name'];

const BY_NAME = new Map<string, Op>(OPS.map((op) => [op.name, op as unknown as Op]));

export function getOp(name: string): Op | undefined {
  return BY_NAME.get(name);
}
