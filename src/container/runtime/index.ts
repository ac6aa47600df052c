// The container runtime layer: OCI bundles, overlay root file systems, runc
// driven through conmon, attach, logs, exec and cgroups.
export { ContainerRuntime, type CollectedExit, type RuntimePaths, type BundleOptions } from './runtime';
export { validateSpec } from './validate';
export { containerHostname } from './oci-spec';
