# The split of a series that r_reference.R and bench/export.R forecast:
# the last two short seasons are held out, everything before is training
# data. Source it after library(forecast).

# holdout reads NAME.csv of the working directory and returns its values
# y, the horizon h (two seasons of period m) and the training series.
holdout <- function(name, m) {
  y <- read.csv(paste0(name, ".csv"))$value
  h <- 2 * m
  list(y = y, h = h, train = ts(y[1:(length(y) - h)], frequency = m))
}

# dshw_holdout returns forecast::dshw's forecast of the training part of
# y over h steps, with periods m and m2, or NULL, with a message, when
# dshw fails.
dshw_holdout <- function(name, y, h, m, m2) {
  tr2 <- msts(y[1:(length(y) - h)], seasonal.periods = c(m, m2))
  tryCatch(dshw(tr2, period1 = m, period2 = m2, h = h),
    error = function(err) { message(name, ": dshw: ", conditionMessage(err)); NULL })
}

# stlf_holdout returns forecast::stlf's forecast of the training part of
# y over h steps with both periods m and m2 (mstl's decomposition, ets on
# the seasonally adjusted series): the reference where dshw fails.
stlf_holdout <- function(y, h, m, m2) {
  tr2 <- msts(y[1:(length(y) - h)], seasonal.periods = c(m, m2))
  stlf(tr2, h = h, level = 95)
}

# mase is the mean absolute scaled error of the forecast fc of test, scaled
# by the in-sample seasonal naive error of train at period m.
mase <- function(test, fc, train, m) mean(abs(test - fc)) / mean(abs(diff(train, lag = m)))
