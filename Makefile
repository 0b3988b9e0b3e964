# skidguard: the perf skid series and the harness that proves it.
# See README.md. B selects a branch under series/ (default: mainline for
# the main job, every branch for check); ARCH selects x86_64, arm64 or
# both (default: x86_64 for the main job, both for check).

B ?=
ARCH ?=
# The kernel's own makes must not inherit this make's command line.
HARNESS := env -u MAKEFLAGS -u MFLAGS SKIDGUARD_ARCHES="$(ARCH)" harness/skidguard
export KERNEL_TREE KERNEL_REV JOBS SKIDGUARD_WORK HWTEST_BIN HWTEST_PERF_SCRIPT

.PHONY: all check tree regen mbox hwtest clean

all:
	@$(HARNESS) main $(B)

check:
	@$(HARNESS) check $(B)
	@tests/harness/run.sh

tree:
	@$(HARNESS) tree $(B)

regen:
	@$(HARNESS) regen $(B)

mbox:
	@$(HARNESS) mbox $(B)

hwtest:
	@$(HARNESS) hwtest

clean:
	rm -rf .work
