pub mod meg;
