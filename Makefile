# Every target does the set-up it needs: on a fresh clone `make run` builds the environments,
# trains the model and serves. Environments and models are cached outside the clone.
.PHONY: setup train engine actions gateway sandbox run chat test lint bench

setup:  ## build both environments, install chromium (browser tests), train, prepare the database
	scripts/venv.sh app >/dev/null
	scripts/venv.sh engine >/dev/null
	scripts/browser.sh >/dev/null
	scripts/train.sh >/dev/null
	scripts/app.sh -m store.db

train:  ## train the engine model (skipped when data and config are unchanged)
	scripts/train.sh

engine:  ## the Rasa engine with its HTTP API on 127.0.0.1:5005
	scripts/engine.sh

actions:  ## the action server on 127.0.0.1:5055
	scripts/actions.sh

gateway:  ## webhooks, router and outbox sender on 127.0.0.1:8080
	scripts/app.sh -m gateway

sandbox:  ## simulators of X and Messenger, and the customer chat page on 127.0.0.1:8090
	scripts/app.sh -m sandbox

run:  ## everything, on the embedded defaults (SQLite, demo data, the sandbox when no credentials)
	scripts/run.sh

chat:  ## chat with the running assistant in the terminal (start `make run` first)
	scripts/app.sh scripts/chat.py

test:  ## lint, types, engine data checks, engine test stories and pytest
	scripts/test.sh

lint:
	scripts/app.sh -m ruff check .
	scripts/app.sh -m ruff format --check .

bench:  ## every benchmark, figures printed
	scripts/bench.sh
