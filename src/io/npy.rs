//! Reading and writing numpy `.npy` arrays (f64 or f32, C order) with shape checks.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use nalgebra::{DMatrix, DVector};
use npyz::{DType, TypeChar, WriterBuilder};

use crate::error::{Error, Result};
use crate::io::atomic;
use crate::scalar::Scalar;

/// An n-dimensional array read from a `.npy` file: its shape and its values in C order.
#[derive(Clone, Debug)]
pub struct NpyArray {
    /// Shape, outermost axis first.
    pub shape: Vec<usize>,
    /// Values in C (row-major) order, converted to f64.
    pub data: Vec<f64>,
}

/// Reads a `.npy` file holding float64 or float32 values in C order.
pub fn read(path: &Path) -> Result<NpyArray> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let npy = npyz::NpyFile::new(BufReader::new(file))
        .map_err(|e| Error::format(path, format!("not a readable .npy file ({e})")))?;
    if npy.order() != npyz::Order::C {
        return Err(Error::format(path, "Fortran-ordered array; save it in C order"));
    }
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    let size = match npy.dtype() {
        DType::Plain(ts) if ts.type_char() == TypeChar::Float => ts.size_field(),
        other => {
            return Err(Error::format(
                path,
                format!("dtype {} is not float64 or float32", other.descr()),
            ));
        }
    };
    let data = match size {
        8 => npy.into_vec::<f64>(),
        4 => npy.into_vec::<f32>().map(|v| v.into_iter().map(f64::from).collect()),
        _ => return Err(Error::format(path, format!("float{} is not supported", 8 * size))),
    }
    .map_err(|e| Error::format(path, format!("truncated or unreadable data ({e})")))?;
    Ok(NpyArray { shape, data })
}

impl NpyArray {
    /// Fails unless the array has `ndim` axes; `what` names it in the message.
    pub fn expect_ndim(&self, path: &Path, what: &str, ndim: usize) -> Result<()> {
        if self.shape.len() != ndim {
            return Err(Error::Shape(format!(
                "{}: {what} must have {ndim} axes but has shape {:?}",
                path.display(),
                self.shape
            )));
        }
        Ok(())
    }

    /// A 2-D array as a matrix (rows × cols).
    pub fn to_matrix<T: Scalar>(&self, path: &Path, what: &str) -> Result<DMatrix<T>> {
        self.expect_ndim(path, what, 2)?;
        let (rows, cols) = (self.shape[0], self.shape[1]);
        Ok(DMatrix::from_fn(rows, cols, |i, j| T::of_f64(self.data[i * cols + j])))
    }

    /// A 3-D array (A × rows × cols) as A matrices.
    pub fn to_matrices<T: Scalar>(&self, path: &Path, what: &str) -> Result<Vec<DMatrix<T>>> {
        self.expect_ndim(path, what, 3)?;
        let (a, rows, cols) = (self.shape[0], self.shape[1], self.shape[2]);
        let block = rows * cols;
        Ok((0..a)
            .map(|k| {
                DMatrix::from_fn(rows, cols, |i, j| T::of_f64(self.data[k * block + i * cols + j]))
            })
            .collect())
    }

    /// A 2-D array (A × len) as A vectors.
    pub fn to_vectors<T: Scalar>(&self, path: &Path, what: &str) -> Result<Vec<DVector<T>>> {
        let m: DMatrix<T> = self.to_matrix(path, what)?;
        Ok(m.row_iter().map(|r| r.transpose()).collect())
    }
}

/// Writes a float64 array of the given shape (values in C order), atomically.
pub fn write(path: &Path, shape: &[usize], data: &[f64]) -> Result<()> {
    let expected: usize = shape.iter().product();
    if expected != data.len() {
        return Err(Error::Shape(format!(
            "{}: shape {shape:?} needs {expected} values, got {}",
            path.display(),
            data.len()
        )));
    }
    let dims: Vec<u64> = shape.iter().map(|&s| s as u64).collect();
    atomic::write_atomic_with(path, |tmp| {
        let fill = || -> std::io::Result<()> {
            // Buffered: npyz writes one value per call, one system call each unbuffered.
            let mut buffered = std::io::BufWriter::new(File::create(tmp)?);
            let mut writer = npyz::WriteOptions::new()
                .default_dtype()
                .shape(&dims)
                .writer(&mut buffered)
                .begin_nd()?;
            writer.extend(data.iter().copied())?;
            writer.finish()?;
            std::io::Write::flush(&mut buffered)
        };
        fill().map_err(|e| Error::io(tmp, e))
    })
}

/// Writes a matrix (rows × cols) as a 2-D float64 array.
pub fn write_matrix<T: Scalar>(path: &Path, m: &DMatrix<T>) -> Result<()> {
    let data: Vec<f64> = (0..m.nrows())
        .flat_map(|i| m.row(i).iter().map(|v| v.to_f64()).collect::<Vec<_>>())
        .collect();
    write(path, &[m.nrows(), m.ncols()], &data)
}

/// Writes a vector as a 1-D float64 array.
pub fn write_vector<T: Scalar>(path: &Path, v: &DVector<T>) -> Result<()> {
    let data: Vec<f64> = v.iter().map(|x| x.to_f64()).collect();
    write(path, &[v.len()], &data)
}
