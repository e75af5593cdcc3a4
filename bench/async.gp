# async.gp -- the charts of make bench, from async_bench's CSV:
#   gnuplot -e "csv='build/bench/async.csv'; png='build/bench/async.png'" bench/async.gp
# One column per request size: throughput (MB/s) and the utilization of
# the card's modelled link (its time for what moved, over wall time)
# against requests in flight, a line for each path and direction.
set datafile separator ','
sizes = system("awk -F, 'NR > 1 { print $3 }' ".csv." | sort -nu | tr '\\n' ' '")
n = words(sizes)
set terminal pngcairo size 520 * n, 760 font ',10'
set output png
set multiplot layout 2, n title "One thread, registered buffers, the realistic-link card (2 µs + 125 ps/byte, 4 channels)"
set logscale x 2
set grid
set key bottom right
set xlabel 'requests in flight'
series(p, d, s, col) = sprintf("< awk -F, '$1 == \"%s\" && $2 == \"%s\" && $3 == %s { print $4 \",\" $%d }' %s", p, d, s, col, csv)
label(s) = s + 0 >= 1048576 ? sprintf('%d MiB requests', (s + 0) / 1048576) : sprintf('%d KiB requests', (s + 0) / 1024)
do for [i = 1:n] {
	s = word(sizes, i)
	set title label(s)
	set ylabel 'MB/s (10^6 bytes/s)'
	set yrange [0:*]
	plot for [p in 'ioctl io_uring'] for [d in 'to from'] series(p, d, s, 5) using 1:2 with linespoints title p.', '.d.' card' noenhanced
}
do for [i = 1:n] {
	s = word(sizes, i)
	set title label(s)
	set ylabel "the link's utilization"
	set yrange [0:1.05]
	plot for [p in 'ioctl io_uring'] for [d in 'to from'] series(p, d, s, 9) using 1:2 with linespoints title p.', '.d.' card' noenhanced
}
unset multiplot
