# The two entry points a person needs on a fresh Debian 12 machine (as root):
#   make run    install what is missing, build, run triaged in the foreground
#   make check  the same set-up, then every test: unit (plain, ASan+UBSan),
#               fuzz smoke, lint, integration and the VM suite
# Everything else is meson (build/) behind these targets.

BUILD      ?= build
BUILD_SAN  ?= build-san
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 20

# Debian 12 packages needed to build, test and run.
DEPS = gcc make meson ninja-build pkg-config libsystemd-dev libinih-dev libcmocka-dev \
       clang libclang-rt-14-dev cppcheck clang-format \
       qemu-system-x86 busybox-static cpio \
       dbus-daemon libglib2.0-dev libglib2.0-bin xvfb libxcb1-dev libxcb-res0-dev tmux

.PHONY: all deps build run check unit san fuzz lint integration vm install clean

all: build

deps:
	@missing=$$(for p in $(DEPS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1; then \
	  echo "apt package lists are empty: apt-get update"; apt-get update -qq; \
	fi; \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "run as root to install packages" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=/usr

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: build
	exec $(BUILD)/src/triaged

unit: build
	meson test -C $(BUILD) --print-errorlogs --suite unit

san: deps
	[ -f $(BUILD_SAN)/build.ninja ] || meson setup $(BUILD_SAN) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	ninja -C $(BUILD_SAN)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 meson test -C $(BUILD_SAN) --print-errorlogs --suite unit

fuzz: deps
	[ -f $(BUILD_FUZZ)/build.ninja ] || CC=clang meson setup $(BUILD_FUZZ) -Dfuzz=true -Db_lundef=false
	ninja -C $(BUILD_FUZZ)
	tests/fuzz/smoke.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

lint: deps
	tests/lint.sh

integration: build
	meson test -C $(BUILD) --print-errorlogs --suite integration

vm: build
	tests/vm/run.sh $(BUILD)

check: build unit san fuzz lint integration vm
	@echo "make check: all suites passed"

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_SAN) $(BUILD_FUZZ)
