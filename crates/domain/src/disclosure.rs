//! Statistical disclosure control for published tables of energy consumption (R14: demand
//! studies use data aggregated at substation level with disclosure control).
//!
//! A demand study publishes consumption by area (a substation) and period (a month), with the
//! total of every row and column and the grand total. A cell made of few access points, or
//! dominated by one, tells its readers about one household or firm; and a cell withheld alone
//! is recomputed by subtracting its published neighbours from its total. So a table goes out
//! only through [`protect`]: primary suppression of every unsafe cell, totals included, then
//! complementary suppression until no withheld value can be recomputed from published ones.
//!
//! Choices, and what was rejected:
//! - A cell without points is published as 0 with 0 points. It is a structural zero anyone
//!   can know (no connection there that month); withholding it would protect nobody, and it is
//!   never taken as a complement, since its value would be known anyway.
//! - Shares are of the sum of absolute values, the gross flow, not of the cell's value: a
//!   point injecting energy (a negative contribution) counts by its size, and a share stays
//!   within 0 to 100 % where injection cancels consumption, where a share of the net value
//!   would exceed 100 % or divide by zero.
//! - A contributor is an access point, by its key: in a row total the same point over several
//!   periods is one contributor with the sum of its consumption, as a reader knowing one
//!   customer's year would see it; counting it once per period would let a single large
//!   customer pass the dominance rule by being split over twelve months.
//! - Complementary suppression prevents *exact* recomputation, the result of Gusfield (1988,
//!   "A graph theoretic approach to statistical data security", SIAM J. Comput. 17(3)): with
//!   the totals as an extra row and column, the withheld cells are the edges of a bipartite
//!   graph between rows and columns, and a withheld value is determined by the published ones
//!   exactly when its edge is a bridge. Each bridge is closed into a cycle along the cheapest
//!   path (least published value withheld, then fewest cells). Optimal cell suppression as an
//!   integer programme was rejected: it needs a solver, and a cheap deterministic heuristic
//!   whose output is checked by the tests is enough for tables of a few thousand cells.
//! - Protection intervals are not enforced: consumption being non-negative, a reader can still
//!   bound a withheld cell by a published total, tightly when its complements are small.

use std::collections::BTreeMap;

use serde::Serialize;

/// Why a rule or a table was refused: the field, a stable code, a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {code}: {reason}")]
pub struct DisclosureError {
    /// The field at fault, as the caller named it.
    pub field: &'static str,
    /// The rule, stable for callers that map it to an answer.
    pub code: &'static str,
    /// What was wrong.
    pub reason: String,
}

/// A percentage from 1 to 100, so a share threshold of 0 (every cell unsafe) or above 100
/// (a rule that can never fire) cannot be configured by mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u8);

impl Percent {
    /// The percentage, widened so the rules compute in integers without casts.
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }

    fn parse(field: &'static str, value: u32) -> Result<Percent, DisclosureError> {
        match u8::try_from(value) {
            Ok(percent @ 1..=100) => Ok(Percent(percent)),
            _ => Err(DisclosureError {
                field,
                code: "out_of_range",
                reason: format!("a percentage is from 1 to 100, found {value}"),
            }),
        }
    }
}

impl TryFrom<u32> for Percent {
    type Error = DisclosureError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Percent::parse("percent", value)
    }
}

/// The thresholds a published cell must meet. Built only by [`Rules::new`] or
/// [`Rules::default`], so a minimum of 0 points or a percentage outside 1 to 100 cannot be
/// configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    min_points: u32,
    max_share: Option<Percent>,
    p_percent: Option<Percent>,
}

impl Default for Rules {
    /// California's "15/15 rule" for aggregated customer energy data (CPUC decision
    /// D.14-05-016, 2014): at least 15 customers in a cell and no single customer above 15 % of
    /// its consumption. It is the published standard closest to our use — consumption by area,
    /// released to third parties — so it is the default rather than a threshold of our own.
    /// The p% rule is off: the 15/15 rule already bounds the largest contributor.
    fn default() -> Self {
        Rules { min_points: 15, max_share: Some(Percent(15)), p_percent: None }
    }
}

impl Rules {
    /// The thresholds of a study that needs other ones than the default: `min_points` distinct
    /// access points per cell, no point above `max_share_percent` of a cell, and optionally the
    /// p% rule (Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, §4.2): a cell is
    /// unsafe when the second largest contributor, subtracting itself from the value, could
    /// estimate the largest to within p %. `min_points` 0 and percentages outside 1 to 100 are
    /// refused with the field named.
    pub fn new(
        min_points: u32,
        max_share_percent: Option<u32>,
        p_percent: Option<u32>,
    ) -> Result<Rules, DisclosureError> {
        if min_points == 0 {
            return Err(DisclosureError {
                field: "min_points",
                code: "out_of_range",
                reason: "a cell needs at least 1 access point, found 0".to_owned(),
            });
        }
        let max_share = max_share_percent.map(|value| Percent::parse("max_share", value)).transpose()?;
        let p_percent = p_percent.map(|value| Percent::parse("p_percent", value)).transpose()?;
        Ok(Rules { min_points, max_share, p_percent })
    }

    /// The fewest distinct access points a published cell may have.
    pub fn min_points(&self) -> u32 {
        self.min_points
    }

    /// The largest share one access point may have of a published cell, if the rule is on.
    pub fn max_share(&self) -> Option<Percent> {
        self.max_share
    }

    /// The p of the p% rule, if the rule is on.
    pub fn p_percent(&self) -> Option<Percent> {
        self.p_percent
    }
}

/// Why a cell is withheld, for the study's owner and the audit: it tells a small area from a
/// dominated one. A table shown to third parties should give every withheld cell the same
/// mark, since "dominance" says a large consumer is there and "complementary" points at the
/// other withheld cells as the sensitive ones. When several rules fail, the first in this
/// order is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// Fewer distinct access points than the rules' minimum.
    TooFewPoints,
    /// One access point above the maximum share of the cell.
    Dominance,
    /// The second largest contributor could estimate the largest too closely.
    PPercent,
    /// Safe by itself, withheld so that an unsafe cell cannot be recomputed from the totals.
    Complementary,
}

/// One cell of a published table. An enum rather than a value with a flag, so that a
/// withheld cell's value and count do not exist in the published table at all and cannot
/// leak through a caller that forgets to look at the flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// A cell that can be shown.
    Published {
        /// The sum of the contributions, in the unit they came in.
        value: i64,
        /// The number of distinct access points.
        points: u32,
    },
    /// A cell that must not be shown, and why.
    Suppressed(Why),
}

impl Cell {
    /// The value, if the cell may be shown.
    pub fn value(self) -> Option<i64> {
        match self {
            Cell::Published { value, .. } => Some(value),
            Cell::Suppressed(_) => None,
        }
    }

    /// The number of access points, if the cell may be shown.
    pub fn points(self) -> Option<u32> {
        match self {
            Cell::Published { points, .. } => Some(points),
            Cell::Suppressed(_) => None,
        }
    }

    /// Why the cell is withheld, if it is.
    pub fn why(self) -> Option<Why> {
        match self {
            Cell::Suppressed(why) => Some(why),
            Cell::Published { .. } => None,
        }
    }
}

/// A protected table: what may be shown of every cell, row total, column total and the grand
/// total. It holds no withheld value, so it can be handed to any caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    rows: usize,
    cols: usize,
    cells: Vec<Cell>,
    row_totals: Vec<Cell>,
    col_totals: Vec<Cell>,
    grand_total: Cell,
}

impl Published {
    /// The number of areas.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The number of periods.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The cell of an area in a period; `None` outside the table.
    pub fn cell(&self, row: usize, col: usize) -> Option<Cell> {
        (row < self.rows && col < self.cols).then(|| self.cells[row * self.cols + col])
    }

    /// An area over all periods; `None` outside the table.
    pub fn row_total(&self, row: usize) -> Option<Cell> {
        self.row_totals.get(row).copied()
    }

    /// A period over all areas; `None` outside the table.
    pub fn col_total(&self, col: usize) -> Option<Cell> {
        self.col_totals.get(col).copied()
    }

    /// Every area over every period.
    pub fn grand_total(&self) -> Cell {
        self.grand_total
    }
}

/// Protects a table for publication. `contributions[row][col]` lists the `(point key, value)`
/// pairs of the access points of an area in a period; a key seen twice in a cell is one point
/// with the sum of its values, and the totals merge a point's values across their line by the
/// same key. A row shorter than the longest one has empty cells at its end, as a period in
/// which the area had no points. Values are summed saturating: an energy beyond `i64::MAX` Wh
/// does not exist, and a wrapped sum would be a wrong published figure.
///
/// The same input always gives the same output, so a republished study withholds the same
/// cells and no difference between two releases reveals anything.
pub fn protect(contributions: &[Vec<Vec<(u64, i64)>>], rules: &Rules) -> Published {
    let rows = contributions.len();
    let cols = contributions.iter().map(Vec::len).max().unwrap_or(0);
    let mut grid = Grid::aggregate(contributions, rows, cols, rules);
    grid.complete();
    grid.publish()
}

/// The table with its totals as a last row and a last column, while it is being protected.
struct Grid {
    height: usize,
    width: usize,
    value: Vec<i64>,
    points: Vec<u32>,
    state: Vec<Option<Why>>,
}

impl Grid {
    fn aggregate(contributions: &[Vec<Vec<(u64, i64)>>], rows: usize, cols: usize, rules: &Rules) -> Grid {
        let (height, width) = (rows + 1, cols + 1);
        let mut by_point: Vec<BTreeMap<u64, i64>> = vec![BTreeMap::new(); height * width];
        for (row, line) in contributions.iter().enumerate() {
            for (col, cell) in line.iter().enumerate() {
                for &(key, value) in cell {
                    for index in
                        [row * width + col, row * width + cols, rows * width + col, rows * width + cols]
                    {
                        let sum = by_point[index].entry(key).or_insert(0);
                        *sum = sum.saturating_add(value);
                    }
                }
            }
        }
        let value = by_point.iter().map(|points| points.values().fold(0_i64, |a, &b| a.saturating_add(b)));
        let points = by_point.iter().map(|points| u32::try_from(points.len()).unwrap_or(u32::MAX));
        let state = by_point.iter().map(|points| assess(points, rules));
        Grid { height, width, value: value.collect(), points: points.collect(), state: state.collect() }
    }

    /// Withholds complements until no withheld cell is a bridge. Each round adds at least one
    /// cell (a bridge is on no cycle, so the path closing one crosses a published cell), hence
    /// it ends within as many rounds as there are cells.
    fn complete(&mut self) {
        loop {
            let suppressed: Vec<bool> = self.state.iter().map(Option::is_some).collect();
            let Some(&bridge) = bridges(self.height, self.width, &suppressed).first() else { break };
            let path = self.cheapest_cycle(bridge).unwrap_or_default();
            let mut added = 0;
            for index in path {
                if self.state[index].is_none() {
                    self.state[index] = Some(Why::Complementary);
                    added += 1;
                }
            }
            if added == 0 {
                // Cannot happen: a non-empty cell always closes a cycle through its row
                // total, the grand total and its column total, which share its points. Were it
                // to, withholding every non-empty cell is the answer that leaks nothing new.
                for (state, &points) in self.state.iter_mut().zip(&self.points) {
                    if state.is_none() && points > 0 {
                        *state = Some(Why::Complementary);
                    }
                }
                break;
            }
        }
    }

    /// The cells of the cheapest path from the bridge's row to its column that avoids the
    /// bridge itself: a withheld cell costs nothing, a published one its absolute value and
    /// one cell, an empty one cannot be used. Dijkstra on the dense bipartite graph, with ties
    /// broken by node order so the result is deterministic.
    fn cheapest_cycle(&self, bridge: usize) -> Option<Vec<usize>> {
        let nodes = self.height + self.width;
        let (source, target) = (bridge / self.width, self.height + bridge % self.width);
        let cell_between = |a: usize, b: usize| {
            let (row, col) = if a < self.height { (a, b - self.height) } else { (b, a - self.height) };
            row * self.width + col
        };
        let mut cost: Vec<Option<(u128, u32)>> = vec![None; nodes];
        let mut via = vec![usize::MAX; nodes];
        let mut done = vec![false; nodes];
        cost[source] = Some((0, 0));
        loop {
            let next = (0..nodes).filter(|&n| !done[n]).filter_map(|n| cost[n].map(|c| (c, n))).min()?;
            let (reached, node) = next;
            if node == target {
                break;
            }
            done[node] = true;
            let others = if node < self.height { self.height..nodes } else { 0..self.height };
            for other in others {
                let index = cell_between(node, other);
                if index == bridge || done[other] {
                    continue;
                }
                let step = match (self.state[index], self.points[index]) {
                    (Some(_), _) => (0, 0),
                    (None, 0) => continue,
                    (None, _) => (u128::from(self.value[index].unsigned_abs()), 1),
                };
                let through = (reached.0 + step.0, reached.1 + step.1);
                if cost[other].is_none_or(|known| through < known) {
                    cost[other] = Some(through);
                    via[other] = index;
                }
            }
        }
        let mut path = Vec::new();
        let mut node = target;
        while node != source {
            let index = via[node];
            path.push(index);
            let (row, col) = (index / self.width, self.height + index % self.width);
            node = if node == row { col } else { row };
        }
        Some(path)
    }

    fn publish(self) -> Published {
        let (rows, cols) = (self.height - 1, self.width - 1);
        let cell = |index: usize| match self.state[index] {
            Some(why) => Cell::Suppressed(why),
            None => Cell::Published { value: self.value[index], points: self.points[index] },
        };
        Published {
            rows,
            cols,
            cells: (0..rows)
                .flat_map(|row| (0..cols).map(move |col| row * (cols + 1) + col))
                .map(cell)
                .collect(),
            row_totals: (0..rows).map(|row| cell(row * self.width + cols)).collect(),
            col_totals: (0..cols).map(|col| cell(rows * self.width + col)).collect(),
            grand_total: cell(rows * self.width + cols),
        }
    }
}

/// The primary verdict on one cell from its points' values. Integer arithmetic throughout
/// (absolute values widened to `u128`), so a share of exactly the threshold is never misjudged
/// by rounding: "no single customer above 15 %" means exactly 15 % is safe.
fn assess(points: &BTreeMap<u64, i64>, rules: &Rules) -> Option<Why> {
    if points.is_empty() {
        return None;
    }
    if points.len() < usize::try_from(rules.min_points).unwrap_or(usize::MAX) {
        return Some(Why::TooFewPoints);
    }
    let (mut largest, mut second, mut total) = (0_u128, 0_u128, 0_u128);
    for value in points.values() {
        let size = u128::from(value.unsigned_abs());
        total += size;
        if size > largest {
            (largest, second) = (size, largest);
        } else if size > second {
            second = size;
        }
    }
    if rules.max_share.is_some_and(|share| 100 * largest > u128::from(share.get()) * total) {
        return Some(Why::Dominance);
    }
    if rules.p_percent.is_some_and(|p| 100 * (total - largest - second) < u128::from(p.get()) * largest) {
        return Some(Why::PPercent);
    }
    None
}

/// The withheld cells of a `height` x `width` table (totals included) that are bridges of the
/// bipartite graph whose nodes are its rows and columns and whose edges are its withheld
/// cells, in index order: exactly the cells a reader can recompute from the published ones.
/// Tarjan's low-link, iterative so a long chain of withheld cells cannot overflow the stack.
fn bridges(height: usize, width: usize, suppressed: &[bool]) -> Vec<usize> {
    let nodes = height + width;
    let mut adjacent: Vec<Vec<(usize, usize)>> = vec![Vec::new(); nodes];
    for index in (0..height * width).filter(|&index| suppressed[index]) {
        let (row, col) = (index / width, height + index % width);
        adjacent[row].push((col, index));
        adjacent[col].push((row, index));
    }
    let mut found = Vec::new();
    let mut discovered = vec![usize::MAX; nodes];
    let mut low = vec![0; nodes];
    let mut clock = 0;
    for start in 0..nodes {
        if discovered[start] != usize::MAX {
            continue;
        }
        discovered[start] = clock;
        low[start] = clock;
        clock += 1;
        // (node, the edge it was reached by, the next neighbour to look at)
        let mut stack: Vec<(usize, usize, usize)> = vec![(start, usize::MAX, 0)];
        while let Some(top) = stack.last_mut() {
            let (node, by, next) = *top;
            if let Some(&(other, edge)) = adjacent[node].get(next) {
                top.2 += 1;
                if edge == by {
                    continue;
                }
                if discovered[other] == usize::MAX {
                    discovered[other] = clock;
                    low[other] = clock;
                    clock += 1;
                    stack.push((other, edge, 0));
                } else {
                    low[node] = low[node].min(discovered[other]);
                }
            } else {
                stack.pop();
                if let Some(&(parent, _, _)) = stack.last() {
                    low[parent] = low[parent].min(low[node]);
                    if low[node] > discovered[parent] {
                        found.push(by);
                    }
                }
            }
        }
    }
    found.sort_unstable();
    found
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A table whose cell `[row][col]` has `count` points of `each` Wh; the `i`-th point of
    /// every cell of a row is the same access point, as the same customers month after month.
    fn uniform(spec: &[&[(u32, i64)]]) -> Vec<Vec<Vec<(u64, i64)>>> {
        spec.iter()
            .enumerate()
            .map(|(row, line)| {
                line.iter()
                    .map(|&(count, each)| {
                        (0..count).map(|i| (row as u64 * 1000 + u64::from(i), each)).collect()
                    })
                    .collect()
            })
            .collect()
    }

    /// One cell with the given points' values.
    fn single(values: &[i64]) -> Vec<Vec<Vec<(u64, i64)>>> {
        vec![vec![values.iter().enumerate().map(|(key, &value)| (key as u64, value)).collect()]]
    }

    /// A cell of the table with its totals as a last row and column, as a caller reads it.
    fn at(table: &Published, row: usize, col: usize) -> Cell {
        let cell = match (row == table.rows(), col == table.cols()) {
            (false, false) => table.cell(row, col),
            (false, true) => table.row_total(row),
            (true, false) => table.col_total(col),
            (true, true) => Some(table.grand_total()),
        };
        cell.expect("inside the augmented table")
    }

    /// The table as a picture, totals last: `.` published, `0` published empty, and the
    /// initial of why a cell is withheld (`F`ew points, `D`ominance, `P`%, `C`omplementary).
    fn picture(table: &Published) -> String {
        (0..=table.rows())
            .map(|row| {
                (0..=table.cols())
                    .map(|col| match at(table, row, col) {
                        Cell::Published { points: 0, .. } => '0',
                        Cell::Published { .. } => '.',
                        Cell::Suppressed(Why::TooFewPoints) => 'F',
                        Cell::Suppressed(Why::Dominance) => 'D',
                        Cell::Suppressed(Why::PPercent) => 'P',
                        Cell::Suppressed(Why::Complementary) => 'C',
                    })
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn check(contributions: &[Vec<Vec<(u64, i64)>>], rules: Rules, expected: &str) {
        let expected: Vec<String> = expected
            .lines()
            .map(|line| line.split_whitespace().collect::<String>())
            .filter(|line| !line.is_empty())
            .collect();
        assert_eq!(picture(&protect(contributions, &rules)), expected.join("\n"));
    }

    #[test]
    fn a_small_cell_is_withheld_with_the_cheapest_cycle_of_complements() {
        // (1,1) has 14 points. The cycle through it must cross row 1 at least at (1,0) = 1,000
        // and column 1 at least at (0,1) = 200; (0,0) = 200 joins them, cheaper than any other.
        let table = uniform(&[
            &[(20, 10), (20, 10), (20, 50)],
            &[(20, 50), (14, 10), (20, 60)],
            &[(20, 40), (20, 70), (20, 80)],
        ]);
        check(
            &table,
            Rules::default(),
            "C C . .
             C F . .
             . . . .
             . . . .",
        );
    }

    #[test]
    fn an_empty_cell_is_published_and_never_a_complement() {
        // As above with (0,0) empty: the cheapest cycle now goes through column 2.
        let table = uniform(&[
            &[(0, 10), (20, 10), (20, 50)],
            &[(20, 50), (14, 10), (20, 60)],
            &[(20, 40), (20, 70), (20, 80)],
        ]);
        check(
            &table,
            Rules::default(),
            "0 C C .
             . F C .
             . . . .
             . . . .",
        );
        let published = protect(&table, &Rules::default());
        assert_eq!(published.cell(0, 0), Some(Cell::Published { value: 0, points: 0 }));
    }

    #[test]
    fn in_a_single_row_each_cell_is_its_column_total() {
        // The column total of (0,1) has the same points, so it fails too; the pair is closed by
        // the cheapest other column.
        let table = uniform(&[&[(20, 10), (14, 10), (20, 30)]]);
        check(
            &table,
            Rules::default(),
            "C F . .
             C F . .",
        );
    }

    #[test]
    fn a_point_over_several_periods_is_one_contributor_to_its_row_total() {
        // Twelve months of the same 20 points, point 0 with 16 of each month's 100 Wh: the
        // year is 20 points, not 240, and point 0 has 192 of its 1,200 Wh, still 16 %.
        let size = |key: u64| match key {
            0 => 16,
            1..=8 => 5,
            _ => 4,
        };
        let month: Vec<(u64, i64)> = (0..20).map(|key| (key, size(key))).collect();
        let year = vec![vec![month; 12]];
        let published = protect(&year, &Rules::default());
        assert_eq!(published.row_total(0), Some(Cell::Suppressed(Why::Dominance)));
        let lenient = Rules::new(15, Some(20), None).expect("valid rules");
        let published = protect(&year, &lenient);
        assert_eq!(published.row_total(0), Some(Cell::Published { value: 1_200, points: 20 }));
        // Ten points every month are ten points over the year too.
        let few = vec![vec![(0..10).map(|key| (key, 100)).collect::<Vec<_>>(); 12]];
        let published = protect(&few, &Rules::default());
        assert_eq!(published.row_total(0), Some(Cell::Suppressed(Why::TooFewPoints)));
    }

    #[test]
    fn one_point_above_15_percent_dominates_and_exactly_15_does_not() {
        // 20 points of 100 Wh in all: one of 16 (16 %), 8 of 5 and 11 of 4.
        let mut above = vec![16];
        above.extend([5; 8]);
        above.extend([4; 11]);
        assert_eq!(above.iter().sum::<i64>(), 100);
        check(
            &single(&above),
            Rules::default(),
            "D D
             D D",
        );
        // One of 15 (15 %), 9 of 5 and 10 of 4: "no single customer above 15 %" lets it through.
        let mut exactly = vec![15];
        exactly.extend([5; 9]);
        exactly.extend([4; 10]);
        assert_eq!(exactly.iter().sum::<i64>(), 100);
        check(
            &single(&exactly),
            Rules::default(),
            ". .
             . .",
        );
    }

    #[test]
    fn fourteen_points_are_too_few_and_fifteen_enough() {
        check(&single(&[10; 14]), Rules::default(), "F F\nF F");
        check(&single(&[10; 15]), Rules::new(15, None, None).expect("valid rules"), ". .\n. .");
    }

    #[test]
    fn the_p_percent_rule_protects_the_largest_from_the_second() {
        // x1 = 500, x2 = 450 and 17 others of 49 in all: the second largest knows the largest
        // to within 49, under 10 % of 500. At 50 the estimate is just far enough.
        let rules = Rules::new(15, None, Some(10)).expect("valid rules");
        let mut close = vec![500, 450];
        close.extend([3; 16]);
        close.push(1);
        check(&single(&close), rules, "P P\nP P");
        close[18] = 2;
        check(&single(&close), rules, ". .\n. .");
    }

    #[test]
    fn shares_are_of_the_gross_flow() {
        // 20 points, half of them injecting: the value is 0, yet no point has more than 5 % of
        // the 200 Wh that flowed.
        let balanced: Vec<i64> = (0..20).map(|i| if i % 2 == 0 { 10 } else { -10 }).collect();
        let published = protect(&single(&balanced), &Rules::default());
        assert_eq!(published.cell(0, 0), Some(Cell::Published { value: 0, points: 20 }));
        // An injection dominates as a consumption would: 30 of 68 Wh.
        let mut values = vec![-30];
        values.extend([2; 19]);
        let published = protect(&single(&values), &Rules::default());
        assert_eq!(published.cell(0, 0), Some(Cell::Suppressed(Why::Dominance)));
    }

    #[test]
    fn an_empty_table_has_an_empty_grand_total() {
        let published = protect(&[], &Rules::default());
        assert_eq!((published.rows(), published.cols()), (0, 0));
        assert_eq!(published.grand_total(), Cell::Published { value: 0, points: 0 });
    }

    #[test]
    fn rules_refuse_what_protects_nothing_naming_the_field() {
        let field = |result: Result<Rules, DisclosureError>| result.expect_err("refused").field;
        assert_eq!(field(Rules::new(0, None, None)), "min_points");
        assert_eq!(field(Rules::new(15, Some(0), None)), "max_share");
        assert_eq!(field(Rules::new(15, Some(101), None)), "max_share");
        assert_eq!(field(Rules::new(15, None, Some(0))), "p_percent");
        assert_eq!(field(Rules::new(15, Some(15), Some(101))), "p_percent");
        let error = Rules::new(15, None, Some(300)).expect_err("refused");
        assert_eq!(error.to_string(), "p_percent: out_of_range: a percentage is from 1 to 100, found 300");
        let rules = Rules::new(1, Some(100), Some(1)).expect("bounds are allowed");
        assert_eq!(rules.max_share().map(Percent::get), Some(100));
        assert_eq!(Rules::default(), Rules::new(15, Some(15), None).expect("the 15/15 rule"));
    }

    #[test]
    fn why_serialises_in_snake_case() {
        let text = serde_json::to_string(&[Why::TooFewPoints, Why::PPercent]).expect("serialisable");
        assert_eq!(text, r#"["too_few_points","p_percent"]"#);
    }

    // ---- An independent reference: exact linear algebra over the table's equations ----

    /// The equations a reader has over a `height` x `width` table with totals last: each row's
    /// cells sum to its last cell, each column's to its last cell. Published values are moved
    /// to the right-hand side and do not matter for what is determined, so only the
    /// coefficients of the withheld cells (the unknowns, in index order) are kept.
    fn equations(height: usize, width: usize, suppressed: &[bool]) -> Vec<Vec<i128>> {
        let unknowns: Vec<usize> = (0..height * width).filter(|&i| suppressed[i]).collect();
        let coefficient = |total: bool| if total { -1 } else { 1 };
        let mut rows = Vec::new();
        for row in 0..height {
            rows.push(
                unknowns
                    .iter()
                    .map(|&i| if i / width == row { coefficient(i % width == width - 1) } else { 0 })
                    .collect(),
            );
        }
        for col in 0..width {
            rows.push(
                unknowns
                    .iter()
                    .map(|&i| if i % width == col { coefficient(i / width == height - 1) } else { 0 })
                    .collect(),
            );
        }
        rows
    }

    /// The rank by fraction-free Gaussian elimination, each row kept divided by its gcd.
    fn rank(mut matrix: Vec<Vec<i128>>) -> usize {
        fn gcd(a: i128, b: i128) -> i128 {
            if b == 0 { a.abs() } else { gcd(b, a % b) }
        }
        let columns = matrix.first().map_or(0, Vec::len);
        let mut rank = 0;
        for col in 0..columns {
            let Some(pivot) = (rank..matrix.len()).find(|&r| matrix[r][col] != 0) else { continue };
            matrix.swap(rank, pivot);
            for r in 0..matrix.len() {
                if r != rank && matrix[r][col] != 0 {
                    let (a, b) = (matrix[rank][col], matrix[r][col]);
                    let pivot = matrix[rank].clone();
                    for (value, above) in matrix[r].iter_mut().zip(&pivot) {
                        *value = *value * a - above * b;
                    }
                    let divisor = matrix[r].iter().fold(0, |g, &v| gcd(g, v));
                    if divisor > 1 {
                        matrix[r].iter_mut().for_each(|v| *v /= divisor);
                    }
                }
            }
            rank += 1;
        }
        rank
    }

    /// The withheld cells whose value the published ones determine: `e_k` in the row space.
    fn determined(height: usize, width: usize, suppressed: &[bool]) -> Vec<usize> {
        let system = equations(height, width, suppressed);
        let base = rank(system.clone());
        let unknowns: Vec<usize> = (0..height * width).filter(|&i| suppressed[i]).collect();
        (0..unknowns.len())
            .filter(|&k| {
                let mut extended = system.clone();
                extended.push((0..unknowns.len()).map(|j| i128::from(j == k)).collect());
                rank(extended) == base
            })
            .map(|k| unknowns[k])
            .collect()
    }

    /// What is withheld, in index order of the table with its totals.
    fn withheld(table: &Published) -> Vec<bool> {
        (0..=table.rows())
            .flat_map(|row| (0..=table.cols()).map(move |col| at(table, row, col).why().is_some()))
            .collect()
    }

    /// Each augmented cell's points and values, computed plainly: a list per cell, merged by
    /// key with a linear search.
    fn reference_cells(contributions: &[Vec<Vec<(u64, i64)>>], cols: usize) -> Vec<Vec<(u64, i64)>> {
        let (height, width) = (contributions.len() + 1, cols + 1);
        let mut cells: Vec<Vec<(u64, i64)>> = vec![Vec::new(); height * width];
        for (row, line) in contributions.iter().enumerate() {
            for (col, cell) in line.iter().enumerate() {
                for &(key, value) in cell {
                    for (r, c) in [(row, col), (row, cols), (height - 1, col), (height - 1, cols)] {
                        let target = &mut cells[r * width + c];
                        match target.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, sum)) => *sum += value,
                            None => target.push((key, value)),
                        }
                    }
                }
            }
        }
        cells
    }

    fn primary_unsafe(points: &[(u64, i64)], min: u32, share: Option<u32>, p: Option<u32>) -> bool {
        let mut sizes: Vec<i128> = points.iter().map(|&(_, v)| i128::from(v).abs()).collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        let total: i128 = sizes.iter().sum();
        let x1 = sizes.first().copied().unwrap_or(0);
        let x2 = sizes.get(1).copied().unwrap_or(0);
        !points.is_empty()
            && (points.len() < min as usize
                || share.is_some_and(|s| x1 * 100 > i128::from(s) * total)
                || p.is_some_and(|p| (total - x1 - x2) * 100 < i128::from(p) * x1))
    }

    fn tables() -> impl Strategy<Value = Vec<Vec<Vec<(u64, i64)>>>> {
        (1..=5_usize, 1..=5_usize).prop_flat_map(|(rows, cols)| {
            // Mostly ordinary households, now and then a large consumer that dominates.
            let value = prop_oneof![8 => 0..500_i64, 1 => 5_000..50_000_i64];
            let cell = prop::collection::vec(value, 0..40);
            prop::collection::vec(prop::collection::vec(cell, cols), rows).prop_map(|table| {
                table
                    .into_iter()
                    .enumerate()
                    .map(|(row, line)| {
                        line.into_iter()
                            .map(|values| {
                                values
                                    .into_iter()
                                    .enumerate()
                                    .map(|(i, v)| ((row * 100 + i) as u64, v))
                                    .collect()
                            })
                            .collect()
                    })
                    .collect()
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn no_withheld_value_can_be_recomputed(
            table in tables(),
            min in 1..=20_u32,
            share in proptest::option::of(1..=100_u32),
            p in proptest::option::of(1..=100_u32),
        ) {
            let rules = Rules::new(min, share, p).expect("valid rules");
            let published = protect(&table, &rules);
            let (height, width) = (published.rows() + 1, published.cols() + 1);
            let reference = reference_cells(&table, published.cols());
            let mask = withheld(&published);
            for (index, points) in reference.iter().enumerate() {
                if primary_unsafe(points, min, share, p) {
                    prop_assert!(mask[index], "unsafe cell {index} published");
                }
                if !mask[index] {
                    let cell = at(&published, index / width, index % width);
                    let sum: i64 = points.iter().map(|&(_, v)| v).sum();
                    prop_assert_eq!(cell, Cell::Published { value: sum, points: points.len() as u32 });
                }
            }
            prop_assert_eq!(determined(height, width, &mask), Vec::<usize>::new());
        }

        #[test]
        fn bridges_are_exactly_the_determined_cells(
            (height, width, mask) in (2..=6_usize, 2..=6_usize).prop_flat_map(|(h, w)| {
                (Just(h), Just(w), prop::collection::vec(prop::bool::weighted(0.4), h * w))
            })
        ) {
            prop_assert_eq!(bridges(height, width, &mask), determined(height, width, &mask));
        }
    }
}
