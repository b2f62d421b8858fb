//! Files → text cells, and the dates Chinese exports write.

use crate::Table;
use calamine::{DataRef, Reader, Xlsx};
use time::macros::offset;
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time};

pub fn csv_table(bytes: &[u8]) -> Result<Table, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => {
            let (decoded, _, bad) = encoding_rs::GB18030.decode(bytes);
            if bad {
                return Err("neither UTF-8 nor GB18030 text".into());
            }
            decoded
        }
    };
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.contains('\t') && !first.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for (i, r) in reader.records().enumerate() {
        let r = r.map_err(|e| format!("row {}: {e}", i + 2))?;
        rows.push((i + 2, r.iter().map(str::to_string).collect()));
    }
    Ok(Table { header, rows })
}

/// What reading one workbook may cost. Anything past these is refused with a message, never
/// allowed to take the server's memory or a core for long.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// The most the workbook's parts may declare once unpacked: a check-up centre's year of
    /// results is a few tens of megabytes; a small upload that unpacks to gigabytes (a zip bomb)
    /// is refused before anything is unpacked.
    pub max_unpacked: u64,
    /// The most columns a sheet may use: a wide lab export has a few hundred.
    pub max_columns: u32,
    /// How long reading may take: a real export of 256 MB reads in well under this.
    pub time: std::time::Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_unpacked: 256 * 1024 * 1024,
            max_columns: 1024,
            time: std::time::Duration::from_secs(20),
        }
    }
}

pub fn xlsx_table(bytes: &[u8], sheet: Option<&str>) -> Result<Table, String> {
    xlsx_table_within(bytes, sheet, Budget::default())
}

/// As [`xlsx_table`], within `budget`. Cells are read one by one and kept as they come (the
/// workbook says where each sits), so a sheet with one cell in A1 and one in XFD1048576 costs
/// two cells — a dense grid of it would be 17 billion — and the clock is checked as cells come.
pub fn xlsx_table_within(bytes: &[u8], sheet: Option<&str>, budget: Budget) -> Result<Table, String> {
    let started = std::time::Instant::now();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut unpacked: u64 = 0;
    for i in 0..zip.len() {
        unpacked = unpacked.saturating_add(zip.by_index_raw(i).map_err(|e| e.to_string())?.size());
    }
    if unpacked > budget.max_unpacked {
        return Err(format!(
            "the workbook unpacks to {} MB, more than the {} MB a spreadsheet export may hold",
            unpacked >> 20,
            budget.max_unpacked >> 20
        ));
    }
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let name = match sheet {
        Some(name) => name.to_string(),
        None => book
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| "the workbook has no sheet".to_string())?,
    };
    let mut cells = book.worksheet_cells_reader(&name).map_err(|e| e.to_string())?;
    let mut grid: std::collections::BTreeMap<u32, Vec<String>> = std::collections::BTreeMap::new();
    let mut first_column = u32::MAX;
    let mut read: u64 = 0;
    while let Some(cell) = cells.next_cell().map_err(|e| e.to_string())? {
        read += 1;
        if read % 4096 == 1 && started.elapsed() > budget.time {
            return Err(format!(
                "the workbook took more than {} s to read; split it into smaller files",
                budget.time.as_secs()
            ));
        }
        let value = text(cell.get_value());
        if value.is_empty() {
            continue;
        }
        let (row, column) = cell.get_position();
        if column >= budget.max_columns {
            return Err(format!(
                "the sheet uses more than {} columns; a spreadsheet export has far fewer",
                budget.max_columns
            ));
        }
        first_column = first_column.min(column);
        let line = grid.entry(row).or_default();
        let column = column as usize;
        if line.len() <= column {
            line.resize(column + 1, String::new());
        }
        line[column] = value;
    }
    let skip = first_column as usize;
    let mut rows = grid
        .into_iter()
        .map(|(row, mut line)| (row as usize + 1, line.split_off(skip.min(line.len()))));
    let (_, header) = rows.next().ok_or_else(|| "the sheet is empty".to_string())?;
    Ok(Table {
        header: header.into_iter().map(|h| h.trim().to_string()).collect(),
        rows: rows.collect(),
    })
}

/// A cell as text; Excel dates become ISO text so one date reader serves CSV and Excel.
fn text(d: &DataRef<'_>) -> String {
    match d {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Float(f) => format!("{f}"),
        DataRef::Int(i) => format!("{i}"),
        DataRef::Bool(b) => format!("{b}"),
        DataRef::DateTime(dt) => excel_serial(dt.as_f64()).map_or_else(
            || format!("{}", dt.as_f64()),
            |t| {
                if t.time() == Time::MIDNIGHT {
                    t.date().to_string()
                } else {
                    format!("{} {}", t.date(), t.time())
                }
            },
        ),
        DataRef::Error(e) => format!("#{e:?}"),
    }
}

/// Excel's serial day number (1900 date system; day 0 is 1899-12-30) as a local date-time.
fn excel_serial(days: f64) -> Option<PrimitiveDateTime> {
    let epoch = Date::from_calendar_date(1899, Month::December, 30).ok()?.midnight();
    let seconds = (days * 86_400.0).round();
    (seconds.is_finite() && (0.0..1e11).contains(&seconds)).then(|| epoch + Duration::seconds(seconds as i64))
}

/// `2024-03-05`, `2024/3/5`, `2024.3.5`, `2024年3月5日`, `20240305`.
pub fn date(raw: &str) -> Option<Date> {
    let s = raw.trim().replace(['年', '月', '/', '.'], "-").replace('日', "");
    let parts: Vec<&str> = if s.contains('-') {
        s.split('-').collect()
    } else if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        vec![&s[0..4], &s[4..6], &s[6..8]]
    } else {
        return None;
    };
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    Date::from_calendar_date(
        y.parse().ok()?,
        Month::try_from(m.parse::<u8>().ok()?).ok()?,
        d.parse().ok()?,
    )
    .ok()
}

/// A date with an optional `HH:MM[:SS]` after a space or `T`, in China time.
pub fn date_time(raw: &str) -> Option<OffsetDateTime> {
    let raw = raw.trim();
    let (d, t) = match raw.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (raw, None),
    };
    let date = date(d)?;
    let time = match t {
        None | Some("") => Time::MIDNIGHT,
        Some(t) => {
            let mut it = t.split(':').map(|p| p.split('.').next().unwrap_or(p).parse::<u8>());
            let h = it.next()?.ok()?;
            let m = it.next().transpose().ok()?.unwrap_or(0);
            let s = it.next().transpose().ok()?.unwrap_or(0);
            Time::from_hms(h, m, s).ok()?
        }
    };
    Some(date.with_time(time).assume_offset(offset!(+8)))
}
