export { FakeClock } from './fake-clock.ts'
export { type ContractTestApi, describeStoreContract, type StoreFixture } from './store-contract.ts'
