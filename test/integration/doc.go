// Package integration runs the real tinit binary as pid 1 of new pid
// namespaces (unshare --pid --fork --mount-proc), as a plain subreaper, in
// rootfs trees, under podman, bubblewrap and autopkgtest, and under
// qemu-user for foreign architectures. Nothing here mocks the kernel.
//
// A test that needs a tool the machine lacks skips and names the tool;
// with TINIT_REQUIRE_TOOLS=1 (as .ci/run sets it) it fails instead.
package integration
