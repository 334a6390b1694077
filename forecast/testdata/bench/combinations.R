# Scores R's own forecast combinations against forecast::ets on the
# benchmark's single-period series: what the methods that won the M3 and M4
# competitions' combination benchmarks reach on these series. For each
# series with one seasonal period (the reference of TestEvaluation there is
# ets), the last two seasons held out as in export.R, it forecasts with
# forecast::ets, forecast::auto.arima and forecast::thetaf, and with their
# step-by-step mean and median, and with the mean of ets and auto.arima. It
# prints, per half and over all series, the geometric mean of each method's
# MASE ratio to ets (MASE scaled by the in-sample seasonal naive error).
# Run from this directory: Rscript combinations.R (R 4.2 with forecast
# 8.20; about 15 minutes on one core, most of it auto.arima on
# sunspot.month). TestEvaluation prints Auto's ratio on the same series
# ("single-period series").
suppressMessages(library(forecast))
source("../holdout.R")
man <- read.csv("series.csv")
res <- NULL
for (i in seq_len(nrow(man))) {
  if (man$period2[i] != 0) next
  name <- man$name[i]; m <- man$period[i]
  s <- holdout(name, m); h <- s$h
  test <- tail(s$y, h); tr <- as.numeric(s$train)
  set.seed(1)
  e <- forecast(suppressWarnings(ets(s$train)), h = h)$mean
  a <- forecast(auto.arima(s$train), h = h)$mean
  th <- thetaf(s$train, h = h)$mean
  r <- function(f) mase(test, f, tr, m) / mase(test, e, tr, m)
  res <- rbind(res, data.frame(name = name, half = man$half[i],
    arima = r(a), theta = r(th), mean3 = r((e + a + th) / 3),
    median3 = r(pmax(pmin(e, a), pmin(pmax(e, a), th))), mean2 = r((e + a) / 2)))
}
gm <- function(x) exp(mean(log(x)))
for (h in c(unique(res$half), "all")) {
  r <- if (h == "all") res else res[res$half == h, ]
  cat(sprintf("%-6s %2d series: auto.arima %.3f, thetaf %.3f, mean(ets, auto.arima, thetaf) %.3f, median %.3f, mean(ets, auto.arima) %.3f\n",
    h, nrow(r), gm(r$arima), gm(r$theta), gm(r$mean3), gm(r$median3), gm(r$mean2)))
}
