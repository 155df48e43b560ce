import {
  type ConfigurableModuleAsyncOptions,
  ConfigurableModuleBuilder,
  type ConfigurableModuleCls,
  type ConfigurableModuleOptionsFactory,
} from '@nestjs/common'
import type { TripswitchModuleOptions } from './circuit-breaker.options.ts'

/** Extra `forRoot` / `forRootAsync` options that shape the module rather than the registry. */
export interface TripswitchModuleExtras {
  /** Make the registry and health indicator injectable in every module. @default false */
  isGlobal: boolean
}

const definition = new ConfigurableModuleBuilder<TripswitchModuleOptions>({
  moduleName: 'Tripswitch',
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createTripswitchOptions')
  .setExtras<TripswitchModuleExtras>({ isGlobal: false }, (module, extras) => ({
    ...module,
    global: extras.isGlobal,
  }))
  .build()

/** The generated base of `TripswitchModule`: `forRoot` and `forRootAsync`. */
export const ConfigurableModuleClass: ConfigurableModuleCls<
  TripswitchModuleOptions,
  'forRoot',
  'createTripswitchOptions',
  TripswitchModuleExtras
> = definition.ConfigurableModuleClass

/** Injection token of the module's resolved {@link TripswitchModuleOptions}. */
export const TRIPSWITCH_MODULE_OPTIONS: string | symbol = definition.MODULE_OPTIONS_TOKEN

/** A class for `forRootAsync({ useClass })` / `useExisting`: it creates the module options. */
export type TripswitchOptionsFactory = ConfigurableModuleOptionsFactory<
  TripswitchModuleOptions,
  'createTripswitchOptions'
>

/** The argument of `TripswitchModule.forRootAsync()`. */
export type TripswitchModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  TripswitchModuleOptions,
  'createTripswitchOptions'
> &
  Partial<TripswitchModuleExtras>
