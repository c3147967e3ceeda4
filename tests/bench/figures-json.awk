# figures-json.awk - the JSON of a benchmark's output, used by run-bench and
# run-peers: "name value unit" lines are figures, "# " lines notes.
#
#   awk -v bench=NAME [-v modparams=P] -f tests/bench/figures-json.awk
#
#   {"benchmark": "NAME", ["modparams": "P",] "notes": [...],
#    "figures": {"name": {"value": V, "unit": "U"}, ...}}
BEGIN { nf = 0; nn = 0 }
function q(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
/^# / { notes[nn++] = substr($0, 3); next }
NF == 3 { name[nf] = $1; val[nf] = $2; unit[nf] = $3; nf++ }
END {
	printf "{\n  \"benchmark\": %s,\n", q(bench)
	if (modparams != "")
		printf "  \"modparams\": %s,\n", q(modparams)
	printf "  \"notes\": ["
	for (i = 0; i < nn; i++)
		printf "%s%s", i ? ", " : "", q(notes[i])
	printf "],\n  \"figures\": {\n"
	for (i = 0; i < nf; i++)
		printf "    %s: {\"value\": %s, \"unit\": %s}%s\n", q(name[i]),
			val[i] + 0, q(unit[i]), i < nf - 1 ? "," : ""
	printf "  }\n}\n"
}
