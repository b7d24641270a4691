//! The mfeat-pix loader, the stratified split and the training-only standardisation.

use std::path::Path;

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use mtw::data::{stratified_split, MfeatPix, Standardizer};

/// A valid file text: 2000 lines of 240 values (value = (line + column) mod 7).
fn valid_text() -> String {
    let mut text = String::new();
    for i in 0..MfeatPix::N_SAMPLES {
        let line: Vec<String> =
            (0..MfeatPix::N_FEATURES).map(|j| ((i + j) % 7).to_string()).collect();
        text.push_str(&line.join("  "));
        text.push('\n');
    }
    text
}

fn parse(text: &str) -> mtw::Result<MfeatPix> {
    MfeatPix::parse(text, Path::new("digits.txt"))
}

#[test]
fn vendored_file_loads_with_class_labels() {
    let data = MfeatPix::load_default().unwrap();
    assert_eq!(data.pixels().shape(), (2000, 240));
    assert_eq!(data.labels()[0], 0);
    assert_eq!(data.labels()[199], 0);
    assert_eq!(data.labels()[200], 1);
    assert_eq!(data.labels()[1999], 9);
    assert!(data.pixels().iter().all(|&v| (0.0..=6.0).contains(&v) && v.fract() == 0.0));
    // Upright images: the mean '7' has more ink in its top row than in its bottom row.
    let mean_row = |digit: usize, r: usize| -> f64 {
        let rows = digit * 200..(digit + 1) * 200;
        rows.map(|i| (0..15).map(|c| data.pixels()[(i, r * 15 + c)]).sum::<f64>()).sum()
    };
    assert!(mean_row(7, 0) > 3.0 * mean_row(7, 15));
}

#[test]
fn valid_text_parses_and_crlf_is_accepted() {
    let data = parse(&valid_text()).unwrap();
    assert_eq!(data.pixels()[(1, 2)], 3.0);
    assert!(parse(&valid_text().replace('\n', "\r\n")).is_ok());
}

#[test]
fn truncated_files_are_rejected() {
    let text = valid_text();
    let lines: Vec<&str> = text.lines().collect();
    let short = lines[..1999].join("\n");
    let err = parse(&short).unwrap_err().to_string();
    assert!(err.contains("1999 lines, expected 2000"), "{err}");
    assert!(parse("").unwrap_err().to_string().contains("0 lines"));
    // A last line cut in the middle.
    let cut = &text[..text.len() - 20];
    let err = parse(cut).unwrap_err().to_string();
    assert!(err.contains("line 2000:") && err.contains("values, expected 240"), "{err}");
}

#[test]
fn trailing_blank_lines_are_ignored_and_extra_lines_are_named() {
    assert!(parse(&(valid_text() + "\n\n  \n")).is_ok());
    let extra = valid_text() + &"0 ".repeat(240) + "\n";
    let err = parse(&extra).unwrap_err().to_string();
    assert!(err.contains("2001 lines, expected 2000") && !err.contains("truncated"), "{err}");
}

#[test]
fn a_file_of_one_repeated_value_is_rejected() {
    let blank = format!("{}\n", "3 ".repeat(240).trim_end()).repeat(2000);
    let err = parse(&blank).unwrap_err().to_string();
    assert!(err.contains("every value is 3") && err.contains("no images"), "{err}");
}

#[test]
fn non_numeric_and_out_of_range_values_are_rejected() {
    let text = valid_text();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let original = lines[4].clone();
    lines[4] = original.replacen('4', "x", 1);
    let err = parse(&lines.join("\n")).unwrap_err().to_string();
    assert!(err.contains("line 5, value") && err.contains("\"x\""), "{err}");
    for bad in ["7", "-1", "2.5", "1e0"] {
        lines[4] = format!("{bad} {}", original.split_once(' ').unwrap().1);
        let err = parse(&lines.join("\n")).unwrap_err().to_string();
        assert!(err.contains("line 5, value 1"), "{bad}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.txt");
    std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
    assert!(MfeatPix::load(&path).unwrap_err().to_string().contains("not UTF-8"));
    assert!(MfeatPix::load(&dir.path().join("missing.txt")).is_err());
}

#[test]
fn split_is_disjoint_stratified_and_seeded() {
    let labels: Vec<usize> = (0..2000).map(|i| i / 200).collect();
    let digits = [0, 1, 2, 3, 4, 5];
    for n in [10, 15, 20, 50] {
        let split =
            stratified_split(&labels, &digits, n, &mut ChaCha8Rng::seed_from_u64(3)).unwrap();
        assert_eq!(split.train.len(), 6 * n);
        assert_eq!(split.validation.len(), 6 * (200 - n));
        let mut all: Vec<usize> = split.train.iter().chain(&split.validation).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all, (0..1200).collect::<Vec<_>>(), "disjoint and covering digits 0-5");
        for d in digits {
            assert_eq!(split.train.iter().filter(|&&i| labels[i] == d).count(), n);
        }
        let again = stratified_split(&labels, &digits, n, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(again.unwrap(), split);
        let other = stratified_split(&labels, &digits, n, &mut ChaCha8Rng::seed_from_u64(4));
        assert_ne!(other.unwrap().train, split.train);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    assert!(stratified_split(&labels, &digits, 200, &mut rng).is_err());
    assert!(stratified_split(&labels, &digits, 0, &mut rng).is_err());
    assert!(stratified_split(&labels, &[1, 1], 5, &mut rng).is_err());
    assert!(stratified_split(&labels, &[], 5, &mut rng).is_err());
}

#[test]
fn standardisation_uses_training_rows_only() {
    // Column 0 varies, column 1 is constant on the training rows.
    let x = DMatrix::from_row_slice(4, 2, &[1.0, 5.0, 3.0, 5.0, 100.0, 7.0, 5.0, 5.0]);
    let train = [0, 1, 3];
    let s = Standardizer::fit(&x, &train).unwrap();
    assert_eq!(s.mean, vec![3.0, 5.0]);
    let std0 = (8.0_f64 / 3.0).sqrt();
    assert!((s.scale[0] - std0).abs() < 1e-15);
    assert_eq!(s.scale[1], 1.0);
    let z: DMatrix<f64> = s.transform(&x, &train).unwrap();
    assert!(z.column(0).sum().abs() < 1e-12 && z.column(1).iter().all(|&v| v == 0.0));
    let v: DMatrix<f64> = s.transform(&x, &[2]).unwrap();
    assert!((v[(0, 0)] - 97.0 / std0).abs() < 1e-12 && v[(0, 1)] == 2.0);
    assert!(Standardizer::fit(&x, &[]).is_err());
    assert!(Standardizer::fit(&x, &[4]).is_err());
}
