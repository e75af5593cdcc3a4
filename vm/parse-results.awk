# parse-results.awk -- turn a guest's results.log (see vm/guest-init.sh) into
# one line per result: "PASS name", "FAIL name: why" or "SKIP name: why".
#
#   awk -v prefix=6.1/edu-28-msi -f parse-results.awk results.log
#
# A selftest binary counts by its TAP lines; one that exits non-zero without
# a failing TAP line, or never finishes, counts as a failure of its own.
# A guest that never says "BM: end" crashed or hung: that is a failure too.

function result(kind, name, why) {
	printf "%s %s/%s%s\n", kind, prefix, name, (why != "" ? ": " why : "")
}

# The guest's serial port ends lines with CR LF.
{ sub(/\r$/, "") }

/^BM: begin / { begun = 1; next }

/^BM: step ok / { result("PASS", "step:" $4, ""); next }

/^BM: step fail / {
	name = $4
	sub(/:$/, "", name)
	why = $0
	sub(/^BM: step fail [^ ]* */, "", why)
	result("FAIL", "step:" name, why)
	next
}

/^BM: test-begin / { bin = $3; failed = 0; next }

/^BM: test-end / {
	rc = $4
	sub(/^rc=/, "", rc)
	# busybox's timeout(1) ends the test with SIGTERM: 143, not 124.
	if (rc == 124 || rc == 143)
		result("FAIL", bin, "timed out")
	else if (rc != 0 && !failed)
		result("FAIL", bin, "exited " rc " without a failing TAP line")
	bin = ""
	next
}

# BM: leaks NAME pins=ACQUIRED RELEASED held=N
/^BM: leaks / {
	split($4, acq, "=")
	held = $6
	sub(/^held=/, "", held)
	if (acq[2] == $5 && held == 0)
		result("PASS", $3 "/no-leaks", "")
	else
		result("FAIL", $3 "/no-leaks", "pins acquired " acq[2] ", released " $5 ", driver holds " held)
	next
}

/^BM: end$/ { ended = 1; next }

bin != "" && /^ok [0-9]+ / {
	name = $3
	if ($0 ~ /# SKIP/) {
		why = $0
		sub(/.*# SKIP */, "", why)
		result("SKIP", bin "/" name, why)
	} else {
		result("PASS", bin "/" name, "")
	}
	next
}

bin != "" && /^not ok [0-9]+ / {
	failed = 1
	result("FAIL", bin "/" $4, "")
	next
}

END {
	if (!begun)
		result("FAIL", "guest", "never started the test list (boot failure?)")
	else if (bin != "")
		result("FAIL", bin, "did not finish (guest crashed or hung)")
	if (begun && !ended)
		result("FAIL", "guest", "did not reach the end of the test list")
}
