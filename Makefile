# git aee: `make test` installs what it needs (libgit2-dev, pkg-config) when missing, builds and runs every test.
PREFIX ?= /usr/local
SWIFT ?= swift
RELEASE_FLAGS = -c release --static-swift-stdlib

.PHONY: all build release docs test test-tools test-agents agent-tools python-venv bench-agents install uninstall demo demo-claude bench deps clean

# Third-party tools the tests drive for real (the pre-commit framework), kept outside the repository.
TOOLS ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/git-aee-test-tools

all: build

# apt-get runs only when pkg-config cannot find libgit2, with sudo when not root.
deps:
	@if ! pkg-config --exists libgit2 2>/dev/null; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		echo "installing libgit2-dev and pkg-config"; \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libgit2-dev pkg-config >/dev/null; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS)

# A Debian package for the tests, installed only when its command is missing: $(call debian-tool,COMMAND,PACKAGE,WHAT IS SKIPPED).
define debian-tool
	@if ! command -v $(1) >/dev/null 2>&1; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		echo "installing $(2)"; \
		{ $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; } \
			|| echo "warning: could not install $(2); $(3) are skipped"; \
	fi
endef

# Installed only when missing; a test whose tool could not be installed says so and is skipped.
test-tools: python-venv
	$(call debian-tool,git-lfs,git-lfs,the tests that drive it)
	$(call debian-tool,chromium,chromium,the tests that render the report in a browser)
	$(call debian-tool,strace,strace,the tests that kill git aee at a chosen system call)
	@if [ ! -x "$(TOOLS)/bin/pre-commit" ]; then \
		echo "installing pre-commit into $(TOOLS)"; \
		python3 -m venv "$(TOOLS)" && "$(TOOLS)/bin/pip" install -q --disable-pip-version-check pre-commit \
			|| echo "warning: could not install pre-commit; the tests that drive it are skipped"; \
	fi

# The generated parts of docs/git-aee.1 and docs/cli.md (the synopsis and every option), from the commands' declarations.
docs:
	AEE_UPDATE_DOCS=1 $(SWIFT) test --filter DocumentationTests

test: deps test-tools
	$(SWIFT) build --build-tests
	AEE_TEST_TOOLS="$(TOOLS)/bin" $(SWIFT) test

# The real agent CLIs from PyPI, each in a venv of its own (their pinned dependencies differ), linked into one bin/;
# each installed only when missing, at the version the tests were written against. A CLI that cannot be installed
# is said so, and its tests are left out.
AGENTS = $(TOOLS)/agents
# install_agent(venv, program, pip arguments, where the program is in the venv)
define install_agent
	@if [ ! -x "$(AGENTS)/bin/$(2)" ]; then \
		echo "installing $(2) ($(3)) into $(AGENTS)"; \
		{ python3 -m venv "$(AGENTS)/$(1)" && "$(AGENTS)/$(1)/bin/pip" install -q --disable-pip-version-check $(3) \
			&& ln -sf "$$(echo "$(AGENTS)/$(1)"/$(4))" "$(AGENTS)/bin/$(2)"; } \
			|| echo "warning: could not install $(2); its tests are left out"; \
	fi
endef

agent-tools: python-venv
	@mkdir -p "$(AGENTS)/bin"
	$(call install_agent,claude,claude,--no-deps claude-agent-sdk==0.2.189,lib/python3*/site-packages/claude_agent_sdk/_bundled/claude)
	$(call install_agent,codex,codex,openai-codex-cli-bin==0.163.0,lib/python3*/site-packages/codex_cli_bin/bin/codex)
	$(call install_agent,aider,aider,aider-chat==0.86.2,bin/aider)
	$(call install_agent,mini,mini,mini-swe-agent==2.4.6,bin/mini)

# Debian's python3 makes venvs only with python3-venv.
python-venv:
	@if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		echo "installing python3-venv"; \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
			|| echo "warning: could not install python3-venv"; \
	fi

# The built-in agents driven through the real CLIs against the scripted model of Tests/ModelServer (no network).
test-agents: deps agent-tools
	$(SWIFT) build --build-tests
	AEE_TEST_AGENTS="$(AGENTS)/bin" $(SWIFT) test --filter BuiltInAgentTests

install: release
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/man/man1"
	install -m 755 "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/git-aee" "$(DESTDIR)$(PREFIX)/bin/git-aee"
	install -m 644 docs/git-aee.1 "$(DESTDIR)$(PREFIX)/share/man/man1/git-aee.1"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/git-aee" "$(DESTDIR)$(PREFIX)/share/man/man1/git-aee.1"

demo: build
	bash examples/demo.sh "$$($(SWIFT) build --show-bin-path)/git-aee"

# The same story through the real Claude Code CLI, against the scripted model on 127.0.0.1 (no network, no key).
demo-claude: build agent-tools
	PATH="$(AGENTS)/bin:$$PATH" bash examples/demo.sh --claude "$$($(SWIFT) build --show-bin-path)/git-aee"

bench: release
	python3 benchmarks/store.py --binary "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/git-aee"
	python3 benchmarks/gates.py --binary "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/git-aee"
	python3 benchmarks/runner.py --binary "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/git-aee"
	python3 benchmarks/workers.py --binary "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/git-aee"
	python3 benchmarks/report.py --binary "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/git-aee"
	python3 benchmarks/parallel.py --binary "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/git-aee"
	python3 benchmarks/scale.py --binary "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/git-aee"

# git aee's own time per call of each real agent CLI, against the CLI alone (benchmarks/agents.py).
bench-agents: release agent-tools
	python3 benchmarks/agents.py --binary "$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/git-aee" --agents "$(AGENTS)/bin"

clean:
	rm -rf .build benchmarks/work
