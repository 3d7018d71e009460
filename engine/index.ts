// Public API for third-party mode packages.
export { defineMode, derivedKindKeys, modeSettings } from './mode.js';
export { controllerOf } from './controller.js';
export { readModeSchema } from './config/mode-schema.js';
export type {
  ModeDefinition, KindSpec, RouteSpec, RuleSpec, Match, ReqView, HookContext, VerifyHook, VerifyInput, VerifyResult,
  RewriteHook, RewriteInput, RespondHook, RespondOutput, TaskSpec, ModeHooks, Policy, Busy, Digests, ModeConfig, ModeSettings, QueryMode,
  InstanceController, ControllerContext, ControllerTask, InstanceBlobs,
} from './mode.js';
