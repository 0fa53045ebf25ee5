# The same tasks as ./dev.sh, for those whose fingers type make. ./dev.sh needs only bash.
.PHONY: run test bench lint
run:
	./dev.sh run $(SCRIPT)
test:
	./dev.sh test
bench:
	./dev.sh bench
lint:
	./dev.sh lint
