export { argBool, argString, parseCniArgs, type ArgParser } from "./args.ts";
export { goPrevResult, parsePrevResult, parseResult, resultToWire } from "./convert.ts";
export {
  aboutText,
  configVersion,
  decodeNetworkConfig,
  dispatch,
  type DispatchIo,
  type PluginEntry,
} from "./dispatch.ts";
export { readCniEnv, validateContainerId, validateIfName, type CniEnv } from "./env.ts";
export { CniError, ErrorCode, internalError, type CniErrorJson, type ErrorCodeValue } from "./errors.ts";
export { gcAttachments, type Attachment } from "./gc.ts";
export { foldKeys, goField, goJsonParse, goMarshal, goMarshalIndent, JsonNumber } from "./go-json.ts";
export { goFoldKey } from "./chars.ts";
export { goBool, goInt, goMap, goNullableSlice, goObjectMap, goSlice, goString, goStruct } from "./go-json-types.ts";
export { isLabelOnly, labelOnly } from "./label.ts";
export { passThrough } from "./pass-through.ts";
export { isValidName } from "./names.ts";
export type { CmdArgs, Env, PluginDef, Verb } from "./plugin.ts";
export type { Dns, Interface, IpConfig, Result, Route } from "./result.ts";
export {
  Cidr,
  type ConfigProblem,
  configProblems,
  decodeConfig,
  DnsSchema,
  GoDns,
  Int,
  IpAddr,
  isCidr,
  NetConf,
  NetConfEntries,
  ProblemList,
  RouteSchema,
  tryDecode,
} from "./schema.ts";
export {
  atLeast,
  compareVersions,
  CURRENT_VERSION,
  gateVersion,
  isSupported,
  parseVersion,
  resultFamily,
  SUPPORTED_VERSIONS,
  type SpecVersion,
  versionDocument,
} from "./version.ts";
export {
  delegate,
  execPlugin,
  findPlugin,
  pathDirs,
  pluginFailure,
  runPluginFile,
  registerInProcessPlugins,
  UnusableResultError,
  type DelegateCall,
  type ExecReply,
  type InProcessPlugins,
} from "./invoke.ts";
