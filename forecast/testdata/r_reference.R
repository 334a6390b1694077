# Computes the R reference forecasts stored in r_reference.csv.
# Run from this directory: Rscript r_reference.R
# Needs the Debian packages r-base-core and r-cran-forecast.
suppressMessages(library(forecast))
source("holdout.R")
man <- read.csv("series.csv")
out <- NULL
add <- function(name, method, fc_mean, lo, hi) {
  out <<- rbind(out, data.frame(series=name, method=method, step=seq_along(fc_mean),
    mean=as.numeric(fc_mean), lower=as.numeric(lo), upper=as.numeric(hi)))
}
for (i in seq_len(nrow(man))) {
  name <- man$name[i]; m <- man$period[i]; m2 <- man$period2[i]
  s <- holdout(name, m); h <- s$h
  set.seed(1)
  f <- forecast(ets(s$train), h = h, level = 95)
  add(name, "ets", f$mean, f$lower, f$upper)
  hw <- HoltWinters(s$train)
  p <- predict(hw, n.ahead = h, prediction.interval = TRUE, level = 0.95)
  add(name, "HoltWinters", p[, "fit"], p[, "lwr"], p[, "upr"])
  if (m2 > 0) {
    d <- dshw_holdout(name, s$y, h, m, m2)
    if (!is.null(d)) add(name, "dshw", d$mean, rep(NA, h), rep(NA, h))
  }
  message(name, " done")
}
write.csv(out, "r_reference.csv", row.names = FALSE, quote = FALSE)
