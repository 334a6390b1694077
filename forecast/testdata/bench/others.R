# Scores two more of R's forecasting methods against forecast::ets on the
# benchmark's series, to see whether they would earn a place among Auto's
# candidates: forecast::thetaf (the Theta method, as SES with drift on the
# seasonally adjusted series) and forecast::stlf (STL decomposition, ETS on
# the seasonally adjusted series). Same split as export.R (the last two
# seasons held out), MASE scaled by the in-sample seasonal naive error. It
# prints the geometric mean of each method's MASE ratio to ets per half and
# over all series. Run from this directory: Rscript others.R
# (R 4.2 with forecast 8.20; about half a minute). The reference is ets
# on every series, the double-seasonal ones included.
suppressMessages(library(forecast))
source("../holdout.R")
man <- read.csv("series.csv")
res <- NULL
for (i in seq_len(nrow(man))) {
  name <- man$name[i]; m <- man$period[i]
  s <- holdout(name, m); h <- s$h
  test <- tail(s$y, h); tr <- as.numeric(s$train)
  set.seed(1)
  e <- forecast(suppressWarnings(ets(s$train)), h = h)$mean
  th <- thetaf(s$train, h = h)$mean
  st <- stlf(s$train, h = h)$mean
  res <- rbind(res, data.frame(name = name, half = man$half[i],
    theta = mase(test, th, tr, m) / mase(test, e, tr, m),
    stlf = mase(test, st, tr, m) / mase(test, e, tr, m)))
}
gm <- function(x) exp(mean(log(x)))
for (h in c(unique(res$half), "all")) {
  r <- if (h == "all") res else res[res$half == h, ]
  cat(sprintf("%-6s %2d series: thetaf %.3f, stlf %.3f (geometric-mean MASE ratio to ets)\n", h, nrow(r), gm(r$theta), gm(r$stlf)))
}
