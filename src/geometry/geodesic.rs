//! Exact shortest-path (graph geodesic) distances along the edges of a triangle mesh.
//!
//! The graph has one node per mesh vertex and one undirected edge per triangle side, weighted
//! by its Euclidean length `|r_a − r_b|` (mesh units). `d(s, v)` is the length of the shortest
//! edge path from `s` to `v`, found by Dijkstra's algorithm with a binary heap
//! (O(E log V) per source); unreachable vertices get `+∞`.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use nalgebra::DMatrix;
use rayon::prelude::*;

use super::mesh::TriMesh;
use crate::error::{Error, Result};

/// A weighted undirected graph in compressed sparse row form.
#[derive(Clone, Debug)]
pub struct EdgeGraph {
    /// `neighbors[offsets[v]..offsets[v + 1]]` are the neighbours of node v.
    offsets: Vec<usize>,
    neighbors: Vec<usize>,
    weights: Vec<f64>,
}

impl EdgeGraph {
    /// The edge graph of a mesh, weighted by Euclidean edge length.
    pub fn from_mesh(mesh: &TriMesh) -> Self {
        let edges: Vec<(usize, usize, f64)> = mesh
            .edges()
            .into_iter()
            .map(|(a, b)| (a, b, (mesh.vertices[a] - mesh.vertices[b]).norm()))
            .collect();
        Self::from_edges_unchecked(mesh.n_vertices(), &edges)
    }

    /// A graph from undirected edges `(a, b, length)`; lengths must be finite and `>= 0` and
    /// nodes `< n_nodes`.
    pub fn from_edges(n_nodes: usize, edges: &[(usize, usize, f64)]) -> Result<Self> {
        for (k, &(a, b, w)) in edges.iter().enumerate() {
            if a >= n_nodes || b >= n_nodes {
                return Err(Error::Shape(format!(
                    "edge {k} = ({a}, {b}) but the graph has {n_nodes} nodes"
                )));
            }
            if !(w.is_finite() && w >= 0.0) {
                return Err(Error::parameter("edge length", w, "must be finite and >= 0"));
            }
        }
        Ok(Self::from_edges_unchecked(n_nodes, edges))
    }

    fn from_edges_unchecked(n_nodes: usize, edges: &[(usize, usize, f64)]) -> Self {
        let mut degree = vec![0usize; n_nodes + 1];
        for &(a, b, _) in edges {
            degree[a + 1] += 1;
            degree[b + 1] += 1;
        }
        let mut offsets = degree;
        for v in 0..n_nodes {
            offsets[v + 1] += offsets[v];
        }
        let mut fill = offsets.clone();
        let mut neighbors = vec![0; offsets[n_nodes]];
        let mut weights = vec![0.0; offsets[n_nodes]];
        for &(a, b, w) in edges {
            for (from, to) in [(a, b), (b, a)] {
                neighbors[fill[from]] = to;
                weights[fill[from]] = w;
                fill[from] += 1;
            }
        }
        EdgeGraph { offsets, neighbors, weights }
    }

    /// Number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Number of undirected edges.
    pub fn n_edges(&self) -> usize {
        self.neighbors.len() / 2
    }

    /// Shortest-path distance from `source` to every node (Dijkstra).
    pub fn distances_from(&self, source: usize) -> Result<Vec<f64>> {
        self.check_node(source)?;
        let mut dist = vec![f64::INFINITY; self.n_nodes()];
        let mut heap = BinaryHeap::new();
        dist[source] = 0.0;
        heap.push(Entry { dist: 0.0, node: source });
        while let Some(Entry { dist: d, node: u }) = heap.pop() {
            if d > dist[u] {
                continue; // stale entry: u was settled with a shorter distance
            }
            for k in self.offsets[u]..self.offsets[u + 1] {
                let (v, candidate) = (self.neighbors[k], d + self.weights[k]);
                if candidate < dist[v] {
                    dist[v] = candidate;
                    heap.push(Entry { dist: candidate, node: v });
                }
            }
        }
        Ok(dist)
    }

    fn check_node(&self, node: usize) -> Result<()> {
        if node < self.n_nodes() {
            Ok(())
        } else {
            Err(Error::parameter("source node", node, &format!("graph has {}", self.n_nodes())))
        }
    }
}

/// `D[i, j] = d(sources[i], j)` for all nodes j: one Dijkstra per source, run in parallel
/// (rayon). Shape `sources.len() × n_nodes`.
pub fn distance_rows(graph: &EdgeGraph, sources: &[usize]) -> Result<DMatrix<f64>> {
    let rows: Vec<Vec<f64>> =
        sources.par_iter().map(|&s| graph.distances_from(s)).collect::<Result<_>>()?;
    Ok(DMatrix::from_fn(sources.len(), graph.n_nodes(), |i, j| rows[i][j]))
}

/// A heap entry ordered so that `BinaryHeap` (a max-heap) pops the smallest distance.
#[derive(Clone, Copy, Debug)]
struct Entry {
    dist: f64,
    node: usize,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.dist.total_cmp(&self.dist).then_with(|| other.node.cmp(&self.node))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}
