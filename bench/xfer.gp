# xfer.gp -- the charts of make bench, from xfer_bench's CSV:
#   gnuplot -e "csv='build/bench/xfer.csv'; png='build/bench/xfer.png'" bench/xfer.gp
# One column per direction; against the request size: MB/s of each design
# at 1 thread, MB/s by threads, the 99th percentile of a request's time,
# and the guest's CPU seconds per GiB moved.
set datafile separator ','
uniq(col, cond) = system(sprintf("awk -F, 'NR > 1 && %s { print $%d }' %s | awk '!seen[$0]++' | tr '\\n' ' '", cond, col, csv))
dirs = uniq(2, '1')
designs = uniq(1, '$4 == 1')
sizes = system("awk -F, 'NR > 1 { print $3 }' ".csv." | sort -nu | tr '\\n' ' '")
# design:threads of the threads row: default at each, the others above 1.
multi = system("awk -F, 'NR > 1 && ($1 == \"default\" || $4 > 1) { print $1 \":\" $4 }' ".csv." | awk '!seen[$0]++' | sort -t: -k1,1 -k2n | tr '\\n' ' '")
has_multi = system("awk -F, 'NR > 1 && $4 > 1' ".csv." | wc -l") + 0 > 0
n = words(dirs)
rows = has_multi ? 4 : 3
set terminal pngcairo size (n > 1 ? 560 * n : 720), 330 * rows font ',10'
set output png
set multiplot layout rows, n title "xfer\\_bench: one request at a time per thread, the realistic-link card"
set logscale x 2
set grid
set key top left font ',8'
set xlabel 'request size'
label(s) = s + 0 >= 1048576 ? sprintf('%d MiB', (s + 0) / 1048576) : sprintf('%d KiB', (s + 0) / 1024)
set xrange [word(sizes, 1) / 1.4 : word(sizes, words(sizes)) * 1.4]
set xtics ()
do for [s in sizes] {
	set xtics add (label(s) s + 0)
}
long(d) = d eq 'to' ? 'to card' : d eq 'from' ? 'from card' : d
series(d, dir, t, col) = sprintf("< awk -F, '$1 == \"%s\" && $2 == \"%s\" && $4 == %s { print $3 \",\" $%d }' %s | sort -t, -n -k1,1", d, dir, t, col, csv)
name(w) = w[1:strstrt(w, ':') - 1]
threads(w) = w[strstrt(w, ':') + 1:]

do for [i = 1:n] {
	dir = word(dirs, i)
	set title long(dir).': MB/s at 1 thread'
	set ylabel 'MB/s (10^6 bytes/s)'
	unset logscale y
	set yrange [0:*]
	plot for [d in designs] series(d, dir, '1', 5) using 1:2 with linespoints title d noenhanced
}
if (has_multi) {
	do for [i = 1:n] {
		dir = word(dirs, i)
		set title long(dir).': MB/s by threads'
		set ylabel 'MB/s (10^6 bytes/s)'
		unset logscale y
		set yrange [0:*]
		plot for [w in multi] series(name(w), dir, threads(w), 5) using 1:2 with linespoints \
			title name(w).', '.threads(w).'t' noenhanced
	}
}
do for [i = 1:n] {
	dir = word(dirs, i)
	set title long(dir).': 99th percentile of a request, 1 thread'
	set ylabel 'µs'
	set logscale y
	set yrange [*:*]
	plot for [d in designs] series(d, dir, '1', 9) using 1:2 with linespoints title d noenhanced
}
do for [i = 1:n] {
	dir = word(dirs, i)
	set title long(dir).": the guest's CPU per GiB moved, 1 thread"
	set ylabel 'CPU seconds per GiB'
	set logscale y
	set yrange [*:*]
	plot for [d in designs] series(d, dir, '1', 13) using 1:2 with linespoints title d noenhanced
}
unset multiplot
