//! The CLI's allocator: the system allocator, asking Linux to back large allocations with
//! transparent huge pages.
//!
//! `routing-eval score` on a million rows fills about 150 MB of fresh memory (columns, ids,
//! scores, percentile ranks). In 4 KiB pages that is some 38 000 page faults, a fifth of the
//! command's CPU time on a virtual machine. Where the kernel's THP mode is `madvise` (the usual
//! default), it gives 2 MiB pages only to memory that asks for them, which is what this does:
//! the same memory then costs a few hundred faults. The advice changes nothing but how the
//! kernel backs the pages, so a kernel that refuses it (THP `never`, or no THP at all) leaves
//! the program as it was, its large allocations merely aligned to 2 MiB.

use std::alloc::{GlobalAlloc, Layout, System};

/// A huge page. Allocations at least this large are aligned to it and advised; smaller ones
/// could not fill one.
const HUGE_PAGE: usize = 2 << 20;

/// [`System`], with large allocations aligned to and advised as huge pages.
pub struct HugePageAlloc;

/// The layout `System` is asked for: `layout`, aligned to a huge page when that large, so no
/// huge page is lost to a misaligned start. A pure function of the size and alignment, so
/// `dealloc` recomputes the layout `alloc` used.
fn system_layout(layout: Layout) -> Layout {
    if layout.size() < HUGE_PAGE {
        return layout;
    }
    layout.align_to(HUGE_PAGE).unwrap_or(layout)
}

// SAFETY: every allocation is made and freed by `System` with the layout `system_layout`
// derives from the caller's (the same both times, as it depends only on that layout), which
// keeps the caller's size and at least its alignment. `madvise` with `MADV_HUGEPAGE` does not
// read, write, move or free memory.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: `system_layout` keeps the caller's non-zero size.
        let ptr = unsafe { System.alloc(system_layout(layout)) };
        advise(ptr, layout.size());
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if system_layout(layout) == layout {
            // SAFETY: as for `alloc`.
            return unsafe { System.alloc_zeroed(layout) };
        }
        // `System` zeroes an over-aligned allocation by writing it, which would fault in every
        // 4 KiB page before the advice: advise first, then zero.
        // SAFETY: as for `alloc`.
        let ptr = unsafe { self.alloc(layout) };
        if !ptr.is_null() {
            // SAFETY: the block was just allocated with at least this size.
            unsafe { ptr.write_bytes(0, layout.size()) };
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with `system_layout(layout)`.
        unsafe { System.dealloc(ptr, system_layout(layout)) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align(new_size, layout.align())
            .expect("the caller's contract: the new size does not overflow the alignment");
        if system_layout(layout) == layout && system_layout(new_layout) == new_layout {
            // Small before and after: the system's own realloc.
            // SAFETY: `ptr` came from `System` with `layout`, unchanged by `system_layout`.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // SAFETY: as for `alloc`; `new_size` is non-zero by the caller's contract.
        let new_ptr = unsafe { self.alloc(new_layout) };
        if !new_ptr.is_null() {
            // SAFETY: both blocks are live, distinct and at least this long.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new_ptr, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new_ptr
    }
}

/// Advises the `len` bytes at `ptr` (a huge-page-aligned allocation when `len` is that large)
/// as huge-page candidates.
#[cfg(target_os = "linux")]
fn advise(ptr: *mut u8, len: usize) {
    if ptr.is_null() || len < HUGE_PAGE {
        return;
    }
    // SAFETY: the range is the allocation just made, mapped into this process and aligned to a
    // huge page (so to a page); MADV_HUGEPAGE only sets a flag on its mapping. An error (THP
    // unsupported or disabled) changes nothing and is ignored.
    unsafe {
        libc::madvise(ptr.cast(), len, libc::MADV_HUGEPAGE);
    }
}

/// Huge-page advice is Linux's; elsewhere allocations are left to the system allocator.
#[cfg(not(target_os = "linux"))]
fn advise(_ptr: *mut u8, _len: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Allocates `size` bytes through `HugePageAlloc`, filled with a pattern.
    fn filled(size: usize) -> (*mut u8, Layout) {
        let layout = Layout::from_size_align(size, 8).unwrap();
        // SAFETY: non-zero size; the block is written within its length.
        let ptr = unsafe { HugePageAlloc.alloc(layout) };
        assert!(!ptr.is_null());
        for i in 0..size {
            unsafe { ptr.add(i).write(i as u8) };
        }
        (ptr, layout)
    }

    fn holds_pattern(ptr: *mut u8, len: usize) -> bool {
        (0..len).all(|i| unsafe { ptr.add(i).read() } == i as u8)
    }

    #[test]
    fn large_allocations_are_huge_page_aligned_and_small_ones_untouched() {
        let (large, large_layout) = filled(3 << 20);
        assert_eq!(large as usize % HUGE_PAGE, 0);
        let (small, small_layout) = filled(1000);
        assert_eq!(system_layout(small_layout), small_layout);
        unsafe {
            HugePageAlloc.dealloc(large, large_layout);
            HugePageAlloc.dealloc(small, small_layout);
        }
    }

    #[test]
    fn large_zeroed_allocations_are_zero() {
        let layout = Layout::from_size_align(5 << 20, 8).unwrap();
        // Dirty a large block and free it, so the next one may reuse its memory.
        let (dirty, dirty_layout) = filled(5 << 20);
        unsafe { HugePageAlloc.dealloc(dirty, dirty_layout) };
        // SAFETY: non-zero size; read within its length.
        let ptr = unsafe { HugePageAlloc.alloc_zeroed(layout) };
        assert!(!ptr.is_null());
        assert!((0..layout.size()).all(|i| unsafe { ptr.add(i).read() } == 0));
        unsafe { HugePageAlloc.dealloc(ptr, layout) };
    }

    #[test]
    fn realloc_keeps_the_contents_across_the_huge_page_threshold_both_ways() {
        // Small to large, large to larger, large to small, small to small.
        let steps = [
            (1 << 20, 5 << 20),
            (5 << 20, 9 << 20),
            (9 << 20, 100),
            (100, 50),
        ];
        for (from, to) in steps {
            let (ptr, layout) = filled(from);
            // SAFETY: `ptr` is live with `layout`; `to` is non-zero.
            let grown = unsafe { HugePageAlloc.realloc(ptr, layout, to) };
            assert!(!grown.is_null());
            assert!(holds_pattern(grown, from.min(to)), "{from} -> {to}");
            if to >= HUGE_PAGE {
                assert_eq!(grown as usize % HUGE_PAGE, 0);
            }
            let new_layout = Layout::from_size_align(to, 8).unwrap();
            unsafe { HugePageAlloc.dealloc(grown, new_layout) };
        }
    }
}
