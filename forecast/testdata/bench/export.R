# Writes the benchmark series and their R reference forecasts.
# Run from this directory: Rscript export.R
# Needs the Debian packages r-base-core (R 4.2) and r-cran-forecast (8.20).
#
# Series of R's datasets and forecast packages are written here; the
# 5-minute traces (NAME.csv already present) are read as they are.
suppressMessages(library(forecast))
source("../holdout.R")
sb <- Seatbelts
rseries <- list(
  AirPassengers = AirPassengers, co2 = co2, nottem = nottem,
  USAccDeaths = USAccDeaths, ldeaths = ldeaths, UKDriverDeaths = UKDriverDeaths,
  UKgas = UKgas, JohnsonJohnson = JohnsonJohnson, austres = austres,
  mdeaths = mdeaths, fdeaths = fdeaths,
  DriversKilled = sb[, "DriversKilled"], front = sb[, "front"], rear = sb[, "rear"],
  kms = sb[, "kms"], PetrolPrice = sb[, "PetrolPrice"], VanKilled = sb[, "VanKilled"],
  gas = gas, wineind = wineind, woolyrnq = woolyrnq, sunspot.month = sunspot.month)
for (n in names(rseries)) {
  write.csv(data.frame(value = as.numeric(rseries[[n]])), paste0(n, ".csv"), row.names = FALSE, quote = FALSE)
}
man <- read.csv("series.csv")
out <- NULL
add <- function(name, method, model, fc_mean, lo, hi) {
  out <<- rbind(out, data.frame(series = name, method = method, model = model, step = seq_along(fc_mean),
    mean = as.numeric(fc_mean), lower = as.numeric(lo), upper = as.numeric(hi)))
}
for (i in seq_len(nrow(man))) {
  name <- man$name[i]; m <- man$period[i]; m2 <- man$period2[i]
  s <- holdout(name, m); h <- s$h
  set.seed(1)
  e <- suppressWarnings(ets(s$train))
  f <- forecast(e, h = h, level = 95)
  add(name, "ets", gsub(",", "", e$method), f$mean, f$lower, f$upper)
  if (m2 > 0) {
    d <- dshw_holdout(name, s$y, h, m, m2)
    if (!is.null(d)) {
      add(name, "dshw", "dshw", d$mean, rep(NA, h), rep(NA, h))
    } else {
      # dshw refuses zeros: the reference is then stlf on both periods.
      f2 <- stlf_holdout(s$y, h, m, m2)
      add(name, "stlf", gsub(",", "", f2$method), f2$mean, f2$lower, f2$upper)
    }
  }
  message(name, " done")
}
write.csv(out, "r_reference.csv", row.names = FALSE, quote = FALSE)
