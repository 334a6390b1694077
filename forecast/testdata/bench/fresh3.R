# Writes the fresh3 half of the benchmark (NAME.csv in the working
# directory) and prints its rows of series.csv. Inputs:
#
#   apt-get install r-cran-aer r-cran-urca r-cran-strucchange r-cran-lmtest
#   d=$(mktemp -d) && (cd "$d" && npm pack vega-datasets@2.8.0)
#   Rscript fresh3.R "$d"/vega-datasets-2.8.0.tgz   # run from this directory
#
# The npm file is checked against its SHA-256 (with sha256sum), the R
# packages against their versions. The rule (README.md), applied here:
#   - every column of the monthly and quarterly data sets of the R
#     packages urca, strucchange, lmtest and AER that no other half uses,
#     without missing values, with at least six seasons before the two
#     held-out seasons;
#   - from vega-datasets, its files of timestamped events, counted per
#     step: departures of flights-3m.csv (January to March 2001) per hour
#     (periods 24 and 168) and per day (period 7), commits of github.csv
#     (January to May 2015) per day (period 7), wildlife strikes of
#     birdstrikes.csv (1990 to 2002) per month (period 12); steps without
#     an event count zero;
#   - of these, the series forecast::nsdiffs (its seasonal-strength test)
#     finds seasonal on the training part, at the first period.
# The rule was written down before any forecast of these series was made.
options(scipen = 100)
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript fresh3.R vega-datasets-2.8.0.tgz")
tgz <- args[1]
sha <- "234330ee2d17a22b71964f428c077b156cee0f16cdd56eab2bd02f5c291c6310"
got <- sub(" .*", "", system2("sha256sum", shQuote(tgz), stdout = TRUE))
if (!identical(got, sha)) stop(tgz, ": sha256 ", got, ", want ", sha)

pkgs <- c(urca = "1.3.3", strucchange = "1.5.3", lmtest = "0.9.40", AER = "1.2.10", forecast = "8.20")
for (p in names(pkgs)) {
  if (as.character(packageVersion(p)) != pkgs[[p]]) stop(p, " ", packageVersion(p), ", want ", pkgs[[p]])
}
suppressMessages(library(forecast))

rows <- character()
# put writes the series when the rule keeps it.
put <- function(name, x, period, period2 = 0) {
  x <- as.numeric(x)
  train <- ts(x[seq_len(length(x) - 2 * period)], frequency = period)
  if (nsdiffs(train) < 1) {
    message(name, ": not seasonal by nsdiffs, left out")
    return()
  }
  write.csv(data.frame(value = x), paste0(name, ".csv"), row.names = FALSE, quote = FALSE)
  rows <<- c(rows, sprintf("%s,%d,%d,fresh3", name, period, period2))
}

# (a) The R packages' monthly and quarterly series no other half uses.
used <- c("GermanUnemployment", "USProdIndex", "UKNonDurables", "DutchSales", "DutchAdvert")
for (pkg in c("urca", "strucchange", "lmtest", "AER")) {
  items <- sub(" .*", "", data(package = pkg)$results[, "Item"])
  for (nm in setdiff(items, used)) {
    e <- new.env()
    suppressWarnings(data(list = nm, package = pkg, envir = e))
    if (!exists(nm, envir = e, inherits = FALSE)) next
    x <- get(nm, envir = e)
    if (!is.ts(x) || !(frequency(x) %in% c(4, 12))) next
    m <- frequency(x)
    cols <- if (is.null(ncol(x))) list(x) else lapply(seq_len(ncol(x)), function(j) x[, j])
    names <- if (is.null(ncol(x))) nm else paste0(nm, "-", colnames(x))
    for (j in seq_along(cols)) {
      y <- cols[[j]]
      if (anyNA(y) || length(y) - 2 * m < 6 * m) next
      put(names[j], y, m)
    }
  }
}

# (b) vega-datasets' event files, counted per step.
ex <- tempfile()
invisible(untar(tgz, files = paste0("package/data/", c("flights-3m.csv", "github.csv", "birdstrikes.csv")), exdir = ex))
vega <- function(f) file.path(ex, "package/data", f)
count <- function(keys, all) as.integer(table(factor(keys, levels = all)))

fl <- read.csv(vega("flights-3m.csv"), colClasses = c(date = "character"))
hour <- substr(fl$date, 1, 6) # MMDDHH, year 2001
days <- seq(as.Date("2001-01-01"), as.Date("2001-03-31"), by = "day")
if (!all(substr(fl$date, 1, 4) %in% format(days, "%m%d"))) stop("flights-3m.csv: dates outside January to March")
hours <- as.vector(t(outer(format(days, "%m%d"), sprintf("%02d", 0:23), paste0)))
put("flights-2001-hourly", count(hour, hours), 24, 168)
put("flights-2001-daily", count(substr(fl$date, 1, 4), format(days, "%m%d")), 7)

gh <- read.csv(vega("github.csv"))
ghday <- as.Date(substr(gh$time, 1, 10), format = "%Y/%m/%d")
ghdays <- seq(min(ghday), max(ghday), by = "day")
put("github-2015-daily", tapply(gh$count, factor(as.character(ghday), levels = as.character(ghdays)), sum, default = 0), 7)

bs <- read.csv(vega("birdstrikes.csv"), check.names = FALSE)
bm <- substr(bs[["Flight Date"]], 1, 7)
first <- as.Date(paste0(min(bm), "-01")); last <- as.Date(paste0(max(bm), "-01"))
months <- format(seq(first, last, by = "month"), "%Y-%m")
put("birdstrikes-monthly", count(bm, months), 12)

writeLines(rows)
