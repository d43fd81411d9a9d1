//! Shouqianba upay v2 wire types (specs/shouqianba-upay-v2.md).
