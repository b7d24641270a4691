//! Reader for the subset of Wavefront OBJ used by the vendored surfaces.
//!
//! Recognised records: `v x y z` (a vertex; a fourth `w` component is not accepted) and
//! `f a b c` (a triangle of 1-based vertex indices, optionally written `a/t/n`; the texture
//! and normal indices are ignored). Comments (`#`), blank lines and every other record
//! (`vn`, `vt`, `o`, `g`, `s`, `usemtl`, `mtllib`) are skipped. Polygons with more than three
//! vertices and negative (relative) indices are rejected. Coordinates are kept in the file's
//! units: the fsaverage5 files are in **mm**.

use std::path::Path;

use super::mesh::{TriMesh, Vec3};
use crate::error::{Error, Result};

/// Reads a triangle mesh from an OBJ file.
pub fn read_obj(path: impl AsRef<Path>) -> Result<TriMesh> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_obj(&text, path)
}

/// Parses OBJ text; `source` names the input in error messages.
pub fn parse_obj(text: &str, source: impl AsRef<Path>) -> Result<TriMesh> {
    let source = source.as_ref();
    let mut vertices = Vec::new();
    let mut faces = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let line_no = k + 1;
        let bad = |reason: String| Error::format(source, format!("line {line_no}: {reason}"));
        let mut fields = line.split_whitespace();
        match fields.next() {
            Some("v") => vertices.push(parse_vertex(fields).map_err(bad)?),
            Some("f") => faces.push(parse_face(fields).map_err(bad)?),
            _ => {}
        }
    }
    if vertices.is_empty() {
        return Err(Error::format(source, "no vertex ('v') records"));
    }
    let n = vertices.len();
    for (k, f) in faces.iter().enumerate() {
        if let Some(&bad) = f.iter().find(|&&i| i >= n) {
            return Err(Error::format(
                source,
                format!("face {k} uses vertex {} (1-based) but the file has {n} vertices", bad + 1),
            ));
        }
    }
    TriMesh::new(vertices, faces).map_err(|e| Error::format(source, e.to_string()))
}

/// Three finite coordinates, nothing more.
fn parse_vertex<'a>(fields: impl Iterator<Item = &'a str>) -> Result<Vec3, String> {
    let values: Vec<&str> = fields.collect();
    if values.len() != 3 {
        return Err(format!("a vertex needs 3 coordinates, found {}", values.len()));
    }
    let mut xyz = [0.0; 3];
    for (c, s) in xyz.iter_mut().zip(&values) {
        *c = s.parse::<f64>().map_err(|_| format!("coordinate {s:?} is not a number"))?;
        if !c.is_finite() {
            return Err(format!("coordinate {s:?} is not finite"));
        }
    }
    Ok(Vec3::new(xyz[0], xyz[1], xyz[2]))
}

/// Three 1-based vertex indices, returned 0-based.
fn parse_face<'a>(fields: impl Iterator<Item = &'a str>) -> Result<[usize; 3], String> {
    let values: Vec<&str> = fields.collect();
    if values.len() != 3 {
        return Err(format!("only triangles are supported, found {} indices", values.len()));
    }
    let mut face = [0; 3];
    for (i, s) in face.iter_mut().zip(&values) {
        let first = s.split('/').next().unwrap_or("");
        let one_based: usize =
            first.parse().map_err(|_| format!("face index {s:?} is not a positive integer"))?;
        if one_based == 0 {
            return Err("face index 0 (OBJ indices start at 1)".into());
        }
        *i = one_based - 1;
    }
    Ok(face)
}
