//! `mtw meg-forward`: the template MEG operators for one head placement (MEG.md §2, §5, §6).
//!
//! Writes into `--out`:
//!
//! | file | content |
//! |---|---|
//! | `X.npy` | lead field, 204 × p, float64, channels in sensor-table order, T/m per A·m |
//! | `sources.csv` | `index, vertex, x, y, z, nx, ny, nz`: head frame, m, after scaling |
//! | `metric.npy` | p × p geodesic distances on the ico-4 mesh, metres |
//! | `regions.csv` | `index, vertex, region`: the 11 farthest-point regions |
//! | `meg_forward.json` | the transform, scale, source space and units used |
//!
//! Without `--trans` the head sits at the nominal placement, the centre of the subject
//! distribution (no rotation, translation (0, 0, 65) mm): an identity transform would put the
//! head at the helmet origin, which is unphysical.

use std::path::PathBuf;

use clap::ValueEnum;
use serde_json::json;

use mtw::error::{Error, Result};
use mtw::io::npy;
use mtw::meg::study::{metric_and_regions, PAPER_N_REGIONS};
use mtw::meg::{
    default_data_dir, write_regions_csv, write_sources_csv, GradiometerArray, HeadPlacement,
    RegionTable, SourceSpace, SourceSpaceKind, Transform,
};

/// Which vendored source space to use.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SourcesArg {
    /// ico-4 lh minus the medial wall minus the sources within 10 mm of the skull, p = 2102.
    Recommended,
    /// ico-4 lh minus the medial wall, p = 2361.
    Cortex,
}

impl From<SourcesArg> for SourceSpaceKind {
    fn from(s: SourcesArg) -> Self {
        match s {
            SourcesArg::Recommended => SourceSpaceKind::Recommended,
            SourcesArg::Cortex => SourceSpaceKind::Alternative,
        }
    }
}

/// Arguments of `mtw meg-forward`.
#[derive(clap::Args, Debug)]
#[command(allow_negative_numbers = true)]
pub struct MegForwardArgs {
    /// Device-to-head transform, a 4×4 .npy (metres, rigid). Default: the nominal placement.
    #[arg(long, value_name = "T.npy")]
    pub trans: Option<PathBuf>,
    /// Head scale about the sphere origin (1 = template size).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Source space.
    #[arg(long, value_enum, default_value_t = SourcesArg::Recommended)]
    pub sources: SourcesArg,
    /// Folder with the vendored data files (default: the crate's data/).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: &MegForwardArgs) -> Result<()> {
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    let dev_head_t = match &args.trans {
        Some(path) => read_transform(path)?,
        None => HeadPlacement::nominal().dev_head_t,
    };
    let placement = HeadPlacement::new(dev_head_t, args.scale)?;
    let kind = SourceSpaceKind::from(args.sources);
    let sources = SourceSpace::load(&data_dir, kind)?;
    let array = GradiometerArray::load(&data_dir)?;
    let x = placement.leadfield(&array, &sources)?;
    let (metric_m, regions) = metric_and_regions(&data_dir, &sources, PAPER_N_REGIONS)?;

    std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    npy::write_matrix(&args.out.join("X.npy"), &x)?;
    let positions = placement.positions(&sources.rr_head);
    write_sources_csv(
        &args.out.join("sources.csv"),
        &sources.vertices,
        &positions,
        &sources.nn_head,
    )?;
    npy::write_matrix(&args.out.join("metric.npy"), &metric_m)?;
    let table = RegionTable::new(sources.vertices.clone(), regions.labels.clone())?;
    write_regions_csv(&args.out.join("regions.csv"), &table)?;

    let report = json!({
        "source_space": kind.name(),
        "n_channels": x.nrows(),
        "n_sources": x.ncols(),
        "dev_head_t": placement.dev_head_t.to_rows(),
        "trans_file": args.trans.as_ref().map(|p| p.display().to_string()),
        "scale": placement.scale,
        "channels": array.channels.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        "region_seed_vertices":
            regions.seeds.iter().map(|&s| sources.vertices[s]).collect::<Vec<_>>(),
        "units": {
            "X": "T/m per A*m (x 1e4 gives fT/cm per nAm)",
            "sources": "m, head frame",
            "metric": "m, geodesic on the ico-4 lh white mesh",
        },
    });
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| Error::format(&args.out, format!("cannot serialize the report ({e})")))?;
    mtw::io::atomic::write_atomic(&args.out.join("meg_forward.json"), text.as_bytes())
}

/// A 4×4 rigid transform from a .npy file.
fn read_transform(path: &std::path::Path) -> Result<Transform> {
    let m = npy::read(path)?.to_matrix::<f64>(path, "the transform")?;
    if m.shape() != (4, 4) {
        return Err(Error::Shape(format!(
            "{}: the transform must be 4 x 4 but is {} x {}",
            path.display(),
            m.nrows(),
            m.ncols()
        )));
    }
    Transform::from_rows(std::array::from_fn(|i| std::array::from_fn(|j| m[(i, j)])))
        .map_err(|e| Error::format(path, e.to_string()))
}
