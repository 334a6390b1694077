# Writes the fresh4 half of the benchmark (NAME.csv in the working
# directory) and prints its rows of series.csv. Inputs:
#
#   apt-get install r-cran-ggplot2 r-cran-boot   # ggplot2 3.4.1, boot 1.3-28.1
#   Rscript fresh4.R   # run from this directory
#
# The R packages are checked against their versions. The rule (README.md),
# applied here:
#   - ggplot2's txhousing: the monthly home sales of each Texas city,
#     January 2000 to July 2015, without missing months or values;
#   - every monthly or quarterly data set of the boot package;
#   - of these, the series with at least six seasons before the two
#     held-out ones that forecast::nsdiffs (its seasonal-strength test)
#     finds seasonal on the training part.
# The rule was written down before any forecast of these series was made.
options(scipen = 100)
pkgs <- c(ggplot2 = "3.4.1", boot = "1.3.28.1", forecast = "8.20")
for (p in names(pkgs)) {
  if (as.character(packageVersion(p)) != pkgs[[p]]) stop(p, " ", packageVersion(p), ", want ", pkgs[[p]])
}
suppressMessages(library(forecast))

rows <- character()
# put writes the series when the rule keeps it.
put <- function(name, x, period) {
  x <- as.numeric(x)
  if (anyNA(x) || length(x) - 2 * period < 6 * period) {
    message(name, ": missing values or too short, left out")
    return()
  }
  if (nsdiffs(ts(x[seq_len(length(x) - 2 * period)], frequency = period)) < 1) {
    message(name, ": not seasonal by nsdiffs, left out")
    return()
  }
  write.csv(data.frame(value = x), paste0(name, ".csv"), row.names = FALSE, quote = FALSE)
  rows <<- c(rows, sprintf("%s,%d,0,fresh4", name, period))
}

data("txhousing", package = "ggplot2")
months <- 2000 * 12 + 0:186 # January 2000 to July 2015
for (city in sort(unique(txhousing$city))) {
  d <- txhousing[txhousing$city == city, ]
  ym <- d$year * 12 + d$month - 1
  if (!setequal(ym, months) || anyDuplicated(ym)) {
    message(city, ": months missing, left out")
    next
  }
  put(paste0("txhousing-", gsub("[^A-Za-z0-9]+", "-", city)), d$sales[order(ym)], 12)
}

for (nm in sub(" .*", "", data(package = "boot")$results[, "Item"])) {
  e <- new.env()
  suppressWarnings(data(list = nm, package = "boot", envir = e))
  if (!exists(nm, envir = e, inherits = FALSE)) next
  x <- get(nm, envir = e)
  if (is.ts(x) && frequency(x) %in% c(4, 12)) put(nm, x, frequency(x))
}

writeLines(rows)
